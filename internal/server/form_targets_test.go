package server

import (
	"testing"

	"github.com/coopgate/coopgate/internal/config"
)

// The logout confirmation's POST ends in a redirect to a post-logout URI,
// which CSP's form-action governs as it governs the login's redirect.
func TestFormTargetsHoldEveryRelyingPartyOrigin(t *testing.T) {
	cfg := &config.Config{Clients: []config.Client{
		{RedirectURIs: []string{"https://social.example.coop/auth/callback"}, PostLogoutRedirectURIs: []string{"https://social.example.coop/"}},
		{RedirectURIs: []string{"https://forum.example.coop/auth/oidc/callback"}, PostLogoutRedirectURIs: []string{"https://www.example.coop/bye"}},
	}}
	if got, want := formTargets(cfg), "https://social.example.coop https://forum.example.coop https://www.example.coop"; got != want {
		t.Errorf("formTargets = %q, want %q", got, want)
	}
}
