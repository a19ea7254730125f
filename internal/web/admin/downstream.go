package admin

import (
	"net/http"
	"slices"

	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

// DownstreamPage is the list of accounts that failed or wait for a sync.
type DownstreamPage struct {
	Accounts []provisioning.PersonAccount
	Services []string // the enabled services; none means nothing is synced
	Held     []string // the services with accounts a setting there holds
	Retried  bool     // a Retry was just queued
	Released string   // after "I changed it": how many held accounts go again
	On       string   // ...and on which service
}

func (h *Handler) showDownstream(w http.ResponseWriter, r *http.Request) error {
	accounts, err := provisioning.Failed(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data := DownstreamPage{Accounts: accounts, Retried: q.Get("retried") == "1", Released: q.Get("released"), On: q.Get("service")}
	for _, s := range h.Downstream.Services {
		data.Services = append(data.Services, s.Name())
	}
	for _, a := range accounts {
		if a.State == "needs_setting" && !slices.Contains(data.Held, a.Service) {
			data.Held = append(data.Held, a.Service)
		}
	}
	return h.Render.Render(w, r, http.StatusOK, "admin/downstream", "Service accounts", data)
}
