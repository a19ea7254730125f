package app_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
)

// signingClients are relying parties whose ID tokens are signed with another
// algorithm than RS256 (id_token_signed_response_alg), each with a logout
// URI of its own.
var signingClients = []struct{ id, alg string }{{"rp-es256", "ES256"}, {"rp-eddsa", "EdDSA"}}

func withSigningClients(c *config.Config) {
	for _, sc := range signingClients {
		c.Clients = append(c.Clients, config.Client{ID: sc.id, Name: "Relying Party " + sc.alg, Secret: apptest.ClientSecret,
			AuthMethod: "client_secret_basic", RedirectURIs: []string{apptest.RedirectURI},
			PostLogoutRedirectURIs: []string{apptest.LogoutURI + "/" + sc.id},
			Scopes:                 []string{"openid", "profile", "email", "groups", "offline_access"}, IDTokenSignedResponseAlg: sc.alg})
	}
}

// TestEachClientGetsIDTokensOfItsAlgorithm: coreos/go-oidc, an independent
// relying party that takes the allowed algorithms from discovery and the
// keys from the key set, verifies the ID tokens of a client on RS256, one on
// ES256 and one on EdDSA, at the code grant and at refresh, with at_hash
// hashed as each algorithm says. Userinfo is the same JSON for all three.
func TestEachClientGetsIDTokensOfItsAlgorithm(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t, withSigningClients)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	cases := append([]struct{ id, alg string }{{apptest.ClientID, "RS256"}}, signingClients...)
	for _, tc := range cases {
		t.Run(tc.alg, func(t *testing.T) {
			r := apptest.NewRPOf(t, g, tc.id)
			f := apptest.NewFlow()
			tok, err := r.OAuth.Exchange(ctx, r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password), oauth2.VerifierOption(f.Verifier))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			checkIDToken(t, r, tok, f.Nonce, tc.alg)

			fresh, err := r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			checkIDToken(t, r, fresh, "", tc.alg)
			info, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh))
			if err != nil || info.Subject != ann.ID || info.Email != ann.Email {
				t.Errorf("userinfo = %+v, %v", info, err)
			}
		})
	}
}

// checkIDToken verifies the token response's ID token as go-oidc does and
// checks it is signed with alg and binds the access token (at_hash).
func checkIDToken(t *testing.T, r *apptest.RP, tok *oauth2.Token, nonce, alg string) {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt := r.VerifyIDToken(t, tok, nonce)
	if got, _ := joseHeader(t, raw); got != alg {
		t.Errorf("ID token signed with %s; want %s", got, alg)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
}

// TestLogoutTakesAnIDTokenHintOfEveryAlgorithm: Discourse sends the ID
// token it got as id_token_hint; one signed with the client's ES256 or
// EdDSA key ends the person's session at once, as an RS256 one does.
func TestLogoutTakesAnIDTokenHintOfEveryAlgorithm(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, withSigningClients)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	for _, sc := range signingClients {
		t.Run(sc.alg, func(t *testing.T) {
			r := apptest.NewRPOf(t, g, sc.id)
			browser := apptest.Browser(t)
			hint, _ := r.Tokens(t, browser, ann).Extra("id_token").(string)
			back := apptest.LogoutURI + "/" + sc.id
			q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {back}}
			resp, _ := apptest.Get(t, browser, g.URL+"/end_session?"+q.Encode())
			if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc == nil || loc.String() != back {
				t.Errorf("end_session with the client's own %s hint: %d %v; want 302 to %s", sc.alg, resp.StatusCode, loc, back)
			}
			apptest.NewRP(t, g).WantLoggedIn(t, browser, false)
		})
	}
}
