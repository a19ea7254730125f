// Package public serves the pages anyone may see: the start page, the co-op's
// policies (current and every past version) and the static files.
package public

import (
	"errors"
	"io/fs"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/web/page"
	"github.com/coopgate/coopgate/web"
)

// Handler serves the public area.
type Handler struct {
	Pool   *pgxpool.Pool
	Render *page.Renderer
}

// Mount adds the area's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	static, _ := fs.Sub(web.Static, "static")
	mux.Handle("GET /static/", cacheFor(http.StripPrefix("/static/", http.FileServerFS(static))))
	mux.Handle("GET /{$}", h.Render.Handle(h.home))
	mux.Handle("GET /policies", h.Render.Handle(h.policies))
	mux.Handle("GET /policies/{id}", h.Render.Handle(h.policy))
	mux.Handle("GET /policies/{id}/{version}", h.Render.Handle(h.policyVersion))
}

func cacheFor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// HomePage is the start page.
type HomePage struct{}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) error {
	if page.Me(r.Context()) != nil {
		return page.Redirect(w, r, "/account")
	}
	return h.Render.Render(w, r, http.StatusOK, "public/home", "Welcome", HomePage{})
}

// PoliciesPage lists the policies in force.
type PoliciesPage struct{ Policies []policy.Policy }

func (h *Handler) policies(w http.ResponseWriter, r *http.Request) error {
	current, err := policy.Current(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "public/policies", "Our policies", PoliciesPage{Policies: current})
}

// PolicyPage shows one version of a policy, with the list of all versions.
type PolicyPage struct {
	Policy    policy.Policy
	Versions  []policy.Policy
	IsCurrent bool
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request) error {
	current, err := policy.Current(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	for _, p := range current {
		if p.ID == r.PathValue("id") {
			return h.renderPolicy(w, r, p, true)
		}
	}
	return page.NotFound()
}

func (h *Handler) policyVersion(w http.ResponseWriter, r *http.Request) error {
	p, err := policy.Version(r.Context(), h.Pool, r.PathValue("id"), r.PathValue("version"))
	if errors.Is(err, policy.ErrNotFound) {
		return page.NotFound()
	}
	if err != nil {
		return err
	}
	return h.renderPolicy(w, r, p, false)
}

func (h *Handler) renderPolicy(w http.ResponseWriter, r *http.Request, p policy.Policy, current bool) error {
	versions, err := policy.Versions(r.Context(), h.Pool, p.ID)
	if err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "public/policy", p.Title, PolicyPage{Policy: p, Versions: versions, IsCurrent: current})
}
