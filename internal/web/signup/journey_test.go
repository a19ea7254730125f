package signup_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
)

var joinLinkRE = regexp.MustCompile(`href="(/signup\?id=[^"]+)"`)

// TestJoinFromARelyingParty: a newcomer sent to log in by a service joins
// from the login page, confirms their address in the same browser and lands
// back at the service with a code, without logging in again.
func TestJoinFromARelyingParty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := start(t)
	provider, err := gooidc.NewProvider(ctx, e.g.URL)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	rp := &oauth2.Config{ClientID: apptest.ClientID, ClientSecret: apptest.ClientSecret, Endpoint: endpoint,
		RedirectURL: apptest.RedirectURI, Scopes: []string{gooidc.ScopeOpenID, "profile", "email"}}
	state, nonce, verifier := "state-123", "nonce-456", oauth2.GenerateVerifier()

	browser := apptest.Browser(t)
	resp, body := apptest.Get(t, browser, rp.AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)))
	resp, body = apptest.Follow(t, browser, e.g.URL, resp, body)
	wantStatus(t, resp, body, http.StatusOK)
	join := joinLinkRE.FindStringSubmatch(body)
	if join == nil {
		t.Fatalf("the login page has no Join link carrying the login:\n%s", body)
	}
	signUpURL := e.g.URL + strings.ReplaceAll(join[1], "&amp;", "&")
	zoe := newApplicant("zoe@example.coop", "zoe")
	resp, body = e.signUpAt(t, browser, signUpURL, zoe, nil)
	wantStatus(t, resp, body, http.StatusOK)

	_, link := e.link(t, zoe.Email, "/verify?token=")
	resp, body = e.verify(t, browser, link)
	resp, _ = apptest.Follow(t, browser, e.g.URL, resp, body)
	back, err := resp.Location()
	if err != nil || !strings.HasPrefix(back.String(), apptest.RedirectURI) {
		t.Fatalf("the journey ended at %d %v (%s), not at the relying party", resp.StatusCode, back, resp.Request.URL)
	}
	if back.Query().Get("state") != state || back.Query().Get("code") == "" {
		t.Fatalf("redirect to the relying party: %v", back)
	}

	tok, err := rp.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&gooidc.Config{ClientID: apptest.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce {
		t.Errorf("nonce %q, want %q", idt.Nonce, nonce)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Username      string `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email != zoe.Email || !claims.EmailVerified || claims.Username != "zoe" {
		t.Errorf("claims %+v, %v", claims, err)
	}
}
