package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
)

// Revoking a refresh token (RFC 7009) ends it, the rest of its family and the
// access tokens issued from them, whether or not the client says what it is.
func TestRevokingARefreshTokenEndsItsFamily(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	for _, hint := range []string{"", "refresh_token"} {
		t.Run("hint="+hint, func(t *testing.T) {
			tok := r.Tokens(t, apptest.Browser(t), ann)
			rotated, err := r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"token": {rotated.RefreshToken}}
			if hint != "" {
				form.Set("token_type_hint", hint)
			}
			if got := call(t, http.MethodPost, g.URL+"/revoke", form, apptest.ClientID, apptest.ClientSecret); got.status != http.StatusOK {
				t.Fatalf("revoke answered %d %s", got.status, got.body)
			}
			_, err = r.OAuth.TokenSource(ctx, &oauth2.Token{RefreshToken: rotated.RefreshToken}).Token()
			wantOAuthError(t, err, "invalid_grant")
			for name, access := range map[string]string{"first": tok.AccessToken, "rotated": rotated.AccessToken} {
				if got := userinfo(t, g, access); got.status != http.StatusUnauthorized {
					t.Errorf("the %s access token of a revoked family answers %d at userinfo", name, got.status)
				}
			}
		})
	}
}

// A client gets only the scopes its configuration lists: no refresh token
// without offline_access, no email or groups claims without those scopes.
func TestClientGetsOnlyTheScopesItIsAllowed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t, func(c *config.Config) { c.Clients[0].Scopes = []string{"openid", "profile"} })
	r := apptest.NewRP(t, g, gooidc.ScopeOpenID, "profile", "email", "groups", "coop", gooidc.ScopeOfflineAccess)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	f := apptest.NewFlow()
	resp := apptest.LogIn(t, apptest.Browser(t), g.URL, r.AuthURL(f), ann.Email, ann.Password)
	loc, _ := resp.Location()
	tok, err := r.OAuth.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" {
		t.Error("a client without offline_access got a refresh token")
	}
	if granted, _ := tok.Extra("scope").(string); slices.ContainsFunc(strings.Fields(granted), func(s string) bool { return s != "openid" && s != "profile" }) {
		t.Errorf("granted scope %q; want only openid profile", granted)
	}
	var claims map[string]any
	if err := r.VerifyIDToken(t, tok, f.Nonce).Claims(&claims); err != nil {
		t.Fatal(err)
	}
	info := userinfo(t, g, tok.AccessToken).json
	for _, claim := range []string{"email", "groups", "terms"} {
		if claims[claim] != nil || info[claim] != nil {
			t.Errorf("claim %s given to a client without its scope", claim)
		}
	}
	if info["preferred_username"] != "ann" {
		t.Errorf("userinfo = %v; want the profile claims", info)
	}
}

// A failed client authentication at the token endpoint leaves the code
// unspent: whoever holds a stolen code without the secret cannot burn it.
func TestFailedClientAuthenticationDoesNotSpendTheCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	f := apptest.NewFlow()
	code := r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {apptest.RedirectURI}, "code_verifier": {f.Verifier}}
	for name, secret := range map[string]string{"wrong secret": "not-the-secret", "no secret": ""} {
		got := call(t, http.MethodPost, g.URL+"/oauth/token", form, apptest.ClientID, secret)
		if got.status != http.StatusUnauthorized || got.errorCode() != "invalid_client" {
			t.Errorf("%s: %d %s; want 401 invalid_client", name, got.status, got.body)
		}
	}
	if _, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier)); err != nil {
		t.Fatalf("the code was spent by a failed client authentication: %v", err)
	}

	// A public client has no secret: its PKCE verifier is what shows the
	// code is its own, so a wrong one must not burn the code either.
	spa := &apptest.RP{G: g, Provider: r.Provider, OAuth: &oauth2.Config{ClientID: apptest.PublicClient, Endpoint: r.Provider.Endpoint(),
		RedirectURL: apptest.PublicURI, Scopes: []string{"openid"}}}
	f = apptest.NewFlow()
	loc, _ := apptest.LogIn(t, apptest.Browser(t), g.URL, spa.AuthURL(f), ann.Email, ann.Password).Location()
	if loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("public client login ended at %v", loc)
	}
	_, err := spa.OAuth.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantOAuthError(t, err, "invalid_grant")
	if _, err := spa.OAuth.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(f.Verifier)); err != nil {
		t.Fatalf("a wrong PKCE verifier spent the public client's code: %v", err)
	}
}

// RFC 9207: every authorization response names the issuer, so a relying
// party talking to several providers can tell whose response it got.
func TestAuthorizationResponsesCarryTheIssuer(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")

	loc, _ := apptest.LogIn(t, apptest.Browser(t), g.URL, r.AuthURL(apptest.NewFlow()), ann.Email, ann.Password).Location()
	if loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("iss") != g.URL {
		t.Errorf("success response %v; want code and iss=%s", loc, g.URL)
	}
	plain := r.OAuth.AuthCodeURL("s", oauth2.SetAuthURLParam("code_challenge", strings.Repeat("a", 43)), oauth2.SetAuthURLParam("code_challenge_method", "plain"))
	resp, _ := apptest.Get(t, apptest.Browser(t), plain)
	loc, _ = resp.Location()
	if loc == nil || loc.Query().Get("error") != "invalid_request" || loc.Query().Get("iss") != g.URL {
		t.Errorf("error response %v; want error=invalid_request and iss=%s", loc, g.URL)
	}
	_, body := apptest.Get(t, http.DefaultClient, g.URL+"/.well-known/openid-configuration")
	var d map[string]any
	_ = json.Unmarshal([]byte(body), &d)
	if d["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("discovery does not advertise authorization_response_iss_parameter_supported")
	}
}

// RFC 6750 §3.1: a bearer token that is revoked, expired or malformed gets a
// 401 whose WWW-Authenticate says invalid_token; no token at all, a bare
// challenge.
func TestUserinfoRefusesBadTokensAsRFC6750Says(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	revoked := r.Tokens(t, apptest.Browser(t), ann).AccessToken
	revoke(t, g, revoked, "access_token")
	expired := r.Tokens(t, apptest.Browser(t), ann).AccessToken
	if _, err := g.App.Pool.Exec(ctx, `UPDATE oidc_access_tokens SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	for name, token := range map[string]string{"revoked": revoked, "expired": expired, "malformed": "not-a-token", "truncated": revoked[:20]} {
		got := userinfo(t, g, token)
		if got.status != http.StatusUnauthorized || !strings.Contains(got.header.Get("WWW-Authenticate"), `error="invalid_token"`) ||
			!strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s token: %d, WWW-Authenticate %q; want 401 Bearer error=\"invalid_token\"", name, got.status, got.header.Get("WWW-Authenticate"))
		}
	}
	got := userinfo(t, g, "")
	if got.status != http.StatusUnauthorized || got.header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("no token: %d, WWW-Authenticate %q; want 401 Bearer", got.status, got.header.Get("WWW-Authenticate"))
	}
}
