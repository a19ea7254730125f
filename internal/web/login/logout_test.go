package login_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/coopgate/coopgate/internal/apptest"
)

// RP-initiated logout (OpenID Connect RP-Initiated Logout §2): only a valid,
// unexpired ID token of the logged-in person ends their session without
// asking; anything else is confirmed with one click, on a form with its
// CSRF token, so that a link on any site cannot log a member out. The
// services' own ways of asking keep working through that click.
func TestLogoutAsksUnlessTheHintIsTheirs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	bob := g.CreateMember(t, "bob@example.coop", "bob")
	back := url.Values{"post_logout_redirect_uri": {apptest.LogoutURI}}
	withHint := func(hint string) url.Values {
		return url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {apptest.LogoutURI}, "state": {"xyz"}}
	}

	t.Run("a bare link asks and ends nothing", func(t *testing.T) {
		browser := r.LoggedIn(t, ann)
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session")
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/logout" {
			t.Errorf("GET /end_session: %d %v; want 303 to the confirmation", resp.StatusCode, loc)
		}
		r.WantLoggedIn(t, browser, true)
	})
	t.Run("Mastodon and GitLab: the registered URI, one click", func(t *testing.T) {
		browser := r.LoggedIn(t, ann)
		if loc := apptest.ConfirmLogout(t, g, browser, back); loc != apptest.LogoutURI {
			t.Errorf("after the click: %s; want %s", loc, apptest.LogoutURI)
		}
		r.WantLoggedIn(t, browser, false)
	})
	t.Run("Discourse: an expired hint, one click, state kept", func(t *testing.T) {
		browser := r.LoggedIn(t, ann)
		if loc := apptest.ConfirmLogout(t, g, browser, withHint(expiredIDToken(t, g, ann.ID))); loc != apptest.LogoutURI+"?state=xyz" {
			t.Errorf("after the click: %s; want %s?state=xyz", loc, apptest.LogoutURI)
		}
		r.WantLoggedIn(t, browser, false)
	})
	t.Run("their own valid hint ends the session at once", func(t *testing.T) {
		browser := apptest.Browser(t)
		hint, _ := r.Tokens(t, browser, ann).Extra("id_token").(string)
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+withHint(hint).Encode())
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.String() != apptest.LogoutURI+"?state=xyz" {
			t.Errorf("end_session with a valid hint: %d %v; want 302 to %s", resp.StatusCode, loc, apptest.LogoutURI)
		}
		r.WantLoggedIn(t, browser, false)
	})
	t.Run("someone else's valid hint asks", func(t *testing.T) {
		bobs, _ := r.Tokens(t, apptest.Browser(t), bob).Extra("id_token").(string)
		browser := r.LoggedIn(t, ann)
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+withHint(bobs).Encode())
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/logout" {
			t.Errorf("end_session with another person's hint: %d %v; want 303 to the confirmation", resp.StatusCode, loc)
		}
		r.WantLoggedIn(t, browser, true)
	})
	t.Run("the confirmation needs its CSRF token", func(t *testing.T) {
		browser := r.LoggedIn(t, ann)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/logout", strings.NewReader(back.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", g.URL)
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /logout without a token: %d; want 403", resp.StatusCode)
		}
		r.WantLoggedIn(t, browser, true)
	})
	t.Run("without a session there is nothing to confirm", func(t *testing.T) {
		resp, _ := apptest.Get(t, apptest.Browser(t), g.URL+"/end_session?"+back.Encode())
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.String() != apptest.LogoutURI {
			t.Errorf("end_session without a session: %d %v; want 302 to %s", resp.StatusCode, loc, apptest.LogoutURI)
		}
	})
	t.Run("an invalid request ends nothing", func(t *testing.T) {
		browser := r.LoggedIn(t, ann)
		bad := url.Values{"client_id": {apptest.ClientID}, "post_logout_redirect_uri": {"https://evil.example/"}}
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+bad.Encode())
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("end_session with a URI off the allow-list: %d; want 400", resp.StatusCode)
		}
		r.WantLoggedIn(t, browser, true)
	})
}

// expiredIDToken is an ID token for sub signed by the gateway's key that
// expired an hour ago, as Discourse sends the one it got at login.
func expiredIDToken(t *testing.T, g *apptest.Gateway, sub string) string {
	t.Helper()
	key, err := g.App.Keys.Signing(context.Background(), jose.RS256)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: key.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: key.Key(), KeyID: key.ID()}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-2 * time.Hour)
	claims, _ := json.Marshal(map[string]any{"iss": g.URL, "sub": sub, "aud": []string{apptest.ClientID}, "azp": apptest.ClientID,
		"iat": then.Unix(), "auth_time": then.Unix(), "exp": then.Add(time.Hour).Unix()})
	jws, err := signer.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := jws.CompactSerialize()
	return token
}
