// Package downstreamadmin is the secretary's page of members' accounts on
// the co-op's services that failed to sync or wait for one, with a Retry
// button for each. The syncing itself is internal/downstream/provisioning's.
package downstreamadmin

import (
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the area.
type Handler struct {
	Pool         *pgxpool.Pool
	Render       *page.Renderer
	Provisioning *provisioning.Provisioner
}

// Mount adds the area's routes, each for secretaries only.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.Handle("GET /admin/downstream", h.Render.Handle(page.SecretaryOnly(h.showList)))
	mux.Handle("POST /admin/downstream/retry", h.Render.Handle(page.SecretaryOnly(h.retry)))
	mux.Handle("POST /admin/downstream/retry-held", h.Render.Handle(page.SecretaryOnly(h.retryHeld)))
}
