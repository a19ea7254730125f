package gitlab

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream"
)

// What to change when GitLab will not let the token act as an administrator.
const (
	fixNotAdmin  = "the token's user is not a GitLab administrator: make a token as an administrator (docs/integrations/gitlab.md, step 3)"
	fixAdminMode = "GitLab has Admin Mode on (Admin → Settings → General → Sign-in restrictions), and a token then acts as an " +
		"administrator only with the admin_mode scope: make a token with the scopes api and admin_mode, and set COOPGATE_GITLAB_TOKEN"
	fixScope = "the token lacks a scope: make one with the scope api (and admin_mode if GitLab has Admin Mode on)"
)

// explain says why GitLab refused with 403. GitLab answers a token that may
// not act as an administrator with a bare "403 Forbidden"
// (authenticated_as_admin! in lib/api/helpers.rb), whether its user is not
// an administrator or Admin Mode is on and the token lacks the admin_mode
// scope; asking who the token is (GET /user) and what it may do (GET
// /personal_access_tokens/self) tells which. A token without a scope for
// the call gets insufficient_scope (lib/api/api_guard.rb). Other 403s carry
// their reason and are about the user asked for, not the token.
func (c *Client) explain(ctx context.Context, e *downstream.Error) {
	switch {
	case e.Message == "insufficient_scope":
		e.Because(downstream.KindCredentials, fixScope)
	case e.Message == "403 Forbidden" || strings.HasPrefix(e.Message, "You are not allowed to"):
		e.Because(downstream.KindCredentials, c.whyNotAdmin(ctx))
	case strings.Contains(e.Message, "API initiating user"):
		e.Because(downstream.KindRefused, "the token belongs to this very user: give coopgate a token of a dedicated administrator, not a member's")
	default:
		e.Because(downstream.KindRefused, "GitLab will not do this to this user (see its reason); do it by hand in GitLab's admin area if it must be done")
	}
}

// whyNotAdmin asks GitLab about the token, returning the fix; if the
// questions fail too, both possible causes are named.
func (c *Client) whyNotAdmin(ctx context.Context) string {
	var me struct {
		IsAdmin bool `json:"is_admin"`
	}
	if downstream.CallJSON(ctx, c.http, name, "read token user", http.MethodGet, c.api.JoinPath("user"), c.auth, nil, &me) != nil {
		return fixNotAdmin + "; or, if it is one, " + fixAdminMode
	}
	if !me.IsAdmin {
		return fixNotAdmin
	}
	scopes, err := c.tokenScopes(ctx)
	if err == nil && slices.Contains(scopes, "admin_mode") {
		return "the token's user is an administrator and the token has admin_mode, yet GitLab refused: check the user in GitLab"
	}
	return fixAdminMode
}

// tokenScopes is GET /personal_access_tokens/self's scopes.
func (c *Client) tokenScopes(ctx context.Context) ([]string, error) {
	var tok struct {
		Scopes []string `json:"scopes"`
	}
	err := downstream.CallJSON(ctx, c.http, name, "read token", http.MethodGet, c.api.JoinPath("personal_access_tokens", "self"), c.auth, nil, &tok)
	return tok.Scopes, err
}
