package app_test

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
	ctx := context.Background()
	g := apptest.Start(t)
	r := newRP(t, g)
	ann := admitted(t, g, "ann@example.coop", "ann")
	bob := admitted(t, g, "bob@example.coop", "bob")
	back := url.Values{"post_logout_redirect_uri": {apptest.LogoutURI}}
	withHint := func(hint string) url.Values {
		return url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {apptest.LogoutURI}, "state": {"xyz"}}
	}

	t.Run("a bare link asks and ends nothing", func(t *testing.T) {
		browser := loggedInBrowser(t, r, ann)
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session")
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/logout" {
			t.Errorf("GET /end_session: %d %v; want 303 to the confirmation", resp.StatusCode, loc)
		}
		wantLoggedIn(t, r, browser, true)
	})
	t.Run("Mastodon and GitLab: the registered URI, one click", func(t *testing.T) {
		browser := loggedInBrowser(t, r, ann)
		if loc := confirmLogout(t, g, browser, back); loc != apptest.LogoutURI {
			t.Errorf("after the click: %s; want %s", loc, apptest.LogoutURI)
		}
		wantLoggedIn(t, r, browser, false)
	})
	t.Run("Discourse: an expired hint, one click, state kept", func(t *testing.T) {
		browser := loggedInBrowser(t, r, ann)
		if loc := confirmLogout(t, g, browser, withHint(expiredIDToken(t, g, ann.ID))); loc != apptest.LogoutURI+"?state=xyz" {
			t.Errorf("after the click: %s; want %s?state=xyz", loc, apptest.LogoutURI)
		}
		wantLoggedIn(t, r, browser, false)
	})
	t.Run("their own valid hint ends the session at once", func(t *testing.T) {
		browser := apptest.Browser(t)
		hint, _ := r.tokens(t, browser, ann).Extra("id_token").(string)
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+withHint(hint).Encode())
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.String() != apptest.LogoutURI+"?state=xyz" {
			t.Errorf("end_session with a valid hint: %d %v; want 302 to %s", resp.StatusCode, loc, apptest.LogoutURI)
		}
		wantLoggedIn(t, r, browser, false)
	})
	t.Run("someone else's valid hint asks", func(t *testing.T) {
		bobs, _ := r.tokens(t, apptest.Browser(t), bob).Extra("id_token").(string)
		browser := loggedInBrowser(t, r, ann)
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+withHint(bobs).Encode())
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/logout" {
			t.Errorf("end_session with another person's hint: %d %v; want 303 to the confirmation", resp.StatusCode, loc)
		}
		wantLoggedIn(t, r, browser, true)
	})
	t.Run("the confirmation needs its CSRF token", func(t *testing.T) {
		browser := loggedInBrowser(t, r, ann)
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
		wantLoggedIn(t, r, browser, true)
	})
	t.Run("without a session there is nothing to confirm", func(t *testing.T) {
		resp, _ := apptest.Get(t, apptest.Browser(t), g.URL+"/end_session?"+back.Encode())
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.String() != apptest.LogoutURI {
			t.Errorf("end_session without a session: %d %v; want 302 to %s", resp.StatusCode, loc, apptest.LogoutURI)
		}
	})
	t.Run("an invalid request ends nothing", func(t *testing.T) {
		browser := loggedInBrowser(t, r, ann)
		bad := url.Values{"client_id": {apptest.ClientID}, "post_logout_redirect_uri": {"https://evil.example/"}}
		resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+bad.Encode())
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("end_session with a URI off the allow-list: %d; want 400", resp.StatusCode)
		}
		wantLoggedIn(t, r, browser, true)
	})
}

// confirmLogout asks for RP-initiated logout with params, clicks the
// confirmation's button and returns where the browser is sent.
func confirmLogout(t *testing.T, g *apptest.Gateway, browser *http.Client, params url.Values) string {
	t.Helper()
	resp, body := apptest.Get(t, browser, g.URL+"/end_session?"+params.Encode())
	resp, body = apptest.Follow(t, browser, g.URL, resp, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("end_session: %d, not the confirmation page", resp.StatusCode)
	}
	if hint := params.Get("id_token_hint"); hint != "" && strings.Contains(resp.Request.URL.String()+body, hint) {
		t.Error("the confirmation page carries the ID token (the person's claims) along")
	}
	resp, _ = apptest.Submit(t, browser, resp.Request.URL.String(), body, "/logout", nil)
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("confirming: %d %v", resp.StatusCode, err)
	}
	return loc.String()
}

func loggedInBrowser(t *testing.T, r *rp, p apptest.Person) *http.Client {
	t.Helper()
	browser := apptest.Browser(t)
	r.code(t, browser, newFlow(), p.Email, p.Password)
	return browser
}

// wantLoggedIn checks whether a new login from the relying party goes
// straight through (the session lives) or asks for a password.
func wantLoggedIn(t *testing.T, r *rp, browser *http.Client, want bool) {
	t.Helper()
	resp, body := apptest.Get(t, browser, r.authURL(newFlow()))
	resp, _ = apptest.Follow(t, browser, r.g.URL, resp, body)
	loc, _ := resp.Location()
	if got := loc != nil && strings.HasPrefix(loc.String(), apptest.RedirectURI); got != want {
		t.Errorf("logged in: %v; want %v (login ended at %d %v)", got, want, resp.StatusCode, loc)
	}
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
