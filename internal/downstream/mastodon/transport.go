package mastodon

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/downstream"
)

// refusingTransport turns every error answer (and redirect) into a *downstream.Error before
// go-mastodon sees it. go-mastodon v0.0.13 sleeps and retries a 429 itself,
// for up to an hour and ignoring the server's reset time, which would hold a
// job and hide the rate limit from the job runner; and its own error type
// drops the headers. Returning the error from the transport ends the call at
// once with the status and the wait Mastodon asked for.
type refusingTransport struct{ next http.RoundTripper }

func (t refusingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 300 {
		return resp, err
	}
	return nil, explain(downstream.FromResponse(name, "", resp))
}

// Mastodon's two 403s (app/controllers/api/base_controller.rb): Doorkeeper's
// for a token without the endpoint's scope, and Mastodon::NotPermittedError's
// for a user whose role may not do it.
const outsideScopes = "This action is outside the authorized scopes"

// explain tells the secretary what to change for Mastodon's refusals of the
// token. Suspend refines a "not allowed" into the rank rule, as it knows the
// token could read the account.
func explain(e *downstream.Error) *downstream.Error {
	switch {
	case e.Status == http.StatusUnauthorized:
		e.Fix = "the token is wrong, revoked or expired: make a new one (docs/integrations/mastodon.md, step 3) and set COOPGATE_MASTODON_TOKEN"
	case e.Status == http.StatusForbidden && e.Message == outsideScopes:
		e.Fix = "give coopgate's application the scopes admin:read:accounts and admin:write:accounts " +
			"(Mastodon: Preferences → Development → the application), then use its new access token"
	case e.Status == http.StatusForbidden && e.Message == notAllowed:
		e.Fix = "the token's user needs a role with the Manage Users and Manage Reports permissions (Admin or Owner)"
	}
	return e
}

// withRefusals returns a copy of hc whose transport refuses error answers.
func withRefusals(hc *http.Client) *http.Client {
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out := *hc
	out.Transport = refusingTransport{next: next}
	return &out
}
