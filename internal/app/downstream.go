package app

import (
	"context"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/web/account"
	"github.com/coopgate/coopgate/internal/web/admin"
)

// addDownstreamWorkers builds the enabled services' clients and registers
// the account workers, which River wants before its client exists.
func (a *App) addDownstreamWorkers() error {
	p, err := provisioning.FromConfig(a.Pool, a.Config.Downstream, a.Log)
	if err != nil {
		return err
	}
	a.Downstream = p
	return p.AddWorkers(a.Workers)
}

// attachDownstream, once the River client exists, lets the provisioner
// enqueue, tells admission about it, and schedules the Mastodon poll and the
// recheck of accounts held by a service's setting.
func (a *App) attachDownstream() error {
	every := a.Config.Downstream.PollInterval
	a.Downstream.Jobs = a.Jobs
	a.Admission.Downstream = a.Downstream
	for _, job := range []*river.PeriodicJob{a.Downstream.PollJob(every), a.Downstream.RecheckJob(every)} {
		if job != nil {
			a.Jobs.PeriodicJobs().Add(job)
		}
	}
	return nil
}

// downstreamRoutes are the services' webhooks, which sign their requests
// and so live outside sessions and CSRF.
func (a *App) downstreamRoutes() map[string]http.Handler {
	return map[string]http.Handler{"POST /webhooks/mastodon": a.Downstream.MastodonWebhook()}
}

// adminAccountViews lists a person's service accounts for the admin person
// page; nil when no service is enabled, which the page says.
func (a *App) adminAccountViews() func(ctx context.Context, personID string) ([]admin.AccountView, error) {
	if len(a.Downstream.Services) == 0 {
		return nil
	}
	return a.downstreamAccountViews
}

func (a *App) downstreamAccountViews(ctx context.Context, personID string) ([]admin.AccountView, error) {
	accts, err := provisioning.Accounts(ctx, a.Pool, personID)
	if err != nil {
		return nil, err
	}
	out := make([]admin.AccountView, 0, len(accts))
	for _, ac := range accts {
		out = append(out, admin.AccountView{Service: ac.Service, State: ac.State, RemoteID: ac.RemoteID,
			LastError: ac.LastError, LastSynced: ac.LastSynced})
	}
	return out, nil
}

// memberAccountViews lists a member's own service accounts for /account
// (without the errors and ids meant for the secretary).
func (a *App) memberAccountViews(ctx context.Context, personID string) ([]account.ServiceAccount, error) {
	accts, err := provisioning.Accounts(ctx, a.Pool, personID)
	if err != nil {
		return nil, err
	}
	out := make([]account.ServiceAccount, 0, len(accts))
	for _, ac := range accts {
		out = append(out, account.ServiceAccount{Service: ac.Service, State: ac.State, LastSynced: ac.LastSynced})
	}
	return out, nil
}
