package gitlab

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream"
)

var _ downstream.Checker = (*Client)(nil)

// Check asks GitLab who the token is and what it may do, and tries one
// harmless administrator's read (the user list filtered by extern_uid,
// which lib/api/users.rb reserves for administrators), changing nothing.
func (c *Client) Check(ctx context.Context) ([]downstream.Finding, error) {
	var me struct {
		Username string `json:"username"`
		IsAdmin  bool   `json:"is_admin"`
	}
	if err := downstream.CallJSON(ctx, c.http, name, "read token user", http.MethodGet, c.api.JoinPath("user"), c.auth, nil, &me); err != nil {
		return nil, err
	}
	out := []downstream.Finding{{Setting: "token user is an administrator", Value: me.Username}}
	if v, note := downstream.Unless(me.IsAdmin, fixNotAdmin); v != downstream.Fine {
		out[0].Verdict, out[0].Note = v, note
	}
	scopes, err := c.tokenScopes(ctx)
	out = append(out, scopeFinding(scopes, err))
	return append(out, c.adminAccess(ctx)), nil
}

func scopeFinding(scopes []string, err error) downstream.Finding {
	f := downstream.Finding{Setting: "token scopes", Value: strings.Join(scopes, " ")}
	switch {
	case err != nil:
		f.Verdict, f.Note = downstream.Look, "GitLab would not say (GET /personal_access_tokens/self needs GitLab 15.5 or later); the token needs api"
	case !slices.Contains(scopes, "api"):
		f.Verdict, f.Note = downstream.Change, fixScope
	}
	return f
}

// adminAccess tries the administrator's read: GitLab refuses it when Admin
// Mode is on and the token lacks admin_mode, even for an administrator.
func (c *Client) adminAccess(ctx context.Context) downstream.Finding {
	f := downstream.Finding{Setting: "administrator access (Admin Mode)"}
	u := c.api.JoinPath("users")
	u.RawQuery = url.Values{"extern_uid": {"coopgate-check"}, "provider": {c.cfg.Provider}, "per_page": {"1"}}.Encode()
	err := c.call(ctx, "try an administrator's read", http.MethodGet, u, nil, &[]user{})
	if err == nil {
		f.Value, f.Note = "works", "Admin Mode is off, or the token has admin_mode"
		return f
	}
	f.Value, f.Verdict = "refused", downstream.Change
	if de := downstream.AsError(err); de != nil && de.Fix != "" {
		f.Note = de.Fix
	} else {
		f.Note = err.Error()
	}
	return f
}
