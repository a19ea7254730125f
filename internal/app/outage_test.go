package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// With PostgreSQL down, the provider says so: a server error, never an
// answer a relying party takes for the client's or the token's fault (a
// refresh answered invalid_grant makes it throw the refresh token away, so a
// ten-second blip would log everyone out). Nothing is spent or revoked by
// the outage: when the database is back, the same code and refresh token
// work. docs/operations.md lists these answers.
func TestWhatClientsSeeWhenTheDatabaseIsDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewOutage(t)
	g := apptest.Start(t, func(c *config.Config) { c.DatabaseURL = db.URL })
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	browser := apptest.Browser(t)
	tok := r.Tokens(t, browser, ann)
	f := apptest.NewFlow()
	code := r.Code(t, browser, f, ann.Email, ann.Password)
	resp, _ := apptest.Get(t, browser, r.AuthURL(apptest.NewFlow())) // a login under way: to the login page, then the callback
	login, _ := resp.Location()
	basic := func(form url.Values) reply {
		return call(t, http.MethodPost, g.URL+"/oauth/token", form, apptest.ClientID, apptest.ClientSecret)
	}
	codeGrant := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {apptest.RedirectURI}, "code_verifier": {f.Verifier}}
	refreshGrant := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}

	db.Stop()
	for name, got := range map[string]reply{
		"code grant":               basic(codeGrant),
		"refresh grant":            basic(refreshGrant),
		"userinfo":                 userinfo(t, g, tok.AccessToken),
		"introspection":            call(t, http.MethodPost, g.URL+"/oauth/introspect", url.Values{"token": {tok.AccessToken}}, apptest.ClientID, apptest.ClientSecret),
		"revoking a refresh token": call(t, http.MethodPost, g.URL+"/revoke", url.Values{"token": {tok.RefreshToken}}, apptest.ClientID, apptest.ClientSecret),
		"revoking an access token": call(t, http.MethodPost, g.URL+"/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, apptest.ClientID, apptest.ClientSecret),
	} {
		if got.status != http.StatusInternalServerError || got.errorCode() != "server_error" || leaksInternals(got.body) {
			t.Errorf("%s with the database down: %d %s; want 500 server_error, nothing internal", name, got.status, got.body)
		}
	}
	resp, _ = apptest.Get(t, apptest.Browser(t), r.AuthURL(apptest.NewFlow()))
	if loc, _ := resp.Location(); loc == nil || !strings.HasPrefix(loc.String(), apptest.RedirectURI) || loc.Query().Get("error") != "server_error" {
		t.Errorf("authorize with the database down: %d %v; want a redirect to the client with error=server_error", resp.StatusCode, loc)
	}
	resp, _ = apptest.Get(t, browser, g.URL+"/end_session?post_logout_redirect_uri="+url.QueryEscape(apptest.LogoutURI))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("logout with the database down: %d; want 503 (nothing could be ended)", resp.StatusCode)
	}
	resp, _ = apptest.Get(t, browser, g.URL+"/authorize/callback?id="+login.Query().Get("id"))
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("the login's callback with the database down: %d; want 503, not that the login expired", resp.StatusCode)
	}

	db.Start(t)
	if _, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier)); err != nil {
		t.Errorf("the code did not survive the outage: %v", err)
	}
	if _, err := r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Errorf("the refresh token did not survive the outage: %v", err)
	}
}

// leaksInternals reports whether an answer carries the database's own words.
func leaksInternals(body string) bool {
	for _, word := range []string{"dial", "connect", "postgres", "pgx", "SQLSTATE", "storing", "loading"} {
		if strings.Contains(body, word) {
			return true
		}
	}
	return false
}
