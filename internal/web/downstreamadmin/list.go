package downstreamadmin

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

// ListPage is the list of accounts that failed or wait for a sync.
type ListPage struct {
	Accounts []provisioning.PersonAccount
	Services []string // the enabled services; none means nothing is synced
	Retried  bool     // a Retry was just queued
}

func (h *Handler) showList(w http.ResponseWriter, r *http.Request) error {
	accounts, err := provisioning.Failed(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	data := ListPage{Accounts: accounts, Retried: r.URL.Query().Get("retried") == "1"}
	for _, s := range h.Provisioning.Services {
		data.Services = append(data.Services, s.Name())
	}
	return h.Render.Render(w, r, http.StatusOK, "downstreamadmin/list", "Service accounts", data)
}
