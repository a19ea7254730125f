package admin

import (
	"net/http"
	"net/url"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/web/page"
)

// RemoveDomainPage asks before a domain leaves the allow-list: without
// script, a confirmation is a page of its own.
type RemoveDomainPage struct {
	Domain admission.AllowedDomain
}

func (h *Handler) listedDomain(r *http.Request) (*admission.AllowedDomain, error) {
	list, err := admission.AllowedDomains(r.Context(), h.Pool)
	if err != nil {
		return nil, err
	}
	for _, d := range list {
		if d.Domain == r.PathValue("domain") {
			return &d, nil
		}
	}
	return nil, page.NotFound()
}

func (h *Handler) confirmRemoveDomain(w http.ResponseWriter, r *http.Request) error {
	d, err := h.listedDomain(r)
	if err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "admin/domain_remove", "Remove "+d.Domain, RemoveDomainPage{Domain: *d})
}

// removeDomain takes the domain off; a second click finds it gone and goes
// back to the list, which no longer shows it.
func (h *Handler) removeDomain(w http.ResponseWriter, r *http.Request) error {
	domain := r.PathValue("domain")
	if err := h.Admission.RemoveDomain(r.Context(), domain, page.Actor(r)); err != nil {
		return err
	}
	return page.Redirect(w, r, "/admin/domains?removed="+url.QueryEscape(domain))
}
