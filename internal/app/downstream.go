package app

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

// Admission tells provisioning of every change of a person's standing.
var _ admission.Downstream = (*provisioning.Provisioner)(nil)

// downstreamRoutes are the services' webhooks, which sign their requests
// and so live outside sessions and CSRF.
func (a *App) downstreamRoutes() map[string]http.Handler {
	return map[string]http.Handler{"POST /webhooks/mastodon": a.Downstream.MastodonWebhook()}
}
