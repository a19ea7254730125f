package apptest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/people"
)

// RP is an independent relying party of the test gateway (client ClientID):
// coreos/go-oidc and x/oauth2, as a service would use them.
type RP struct {
	G        *Gateway
	Provider *gooidc.Provider
	OAuth    *oauth2.Config
}

// NewRP discovers the gateway and asks for scopes (by default openid,
// profile, email, groups and offline_access).
func NewRP(t testing.TB, g *Gateway, scopes ...string) *RP {
	t.Helper()
	return NewRPOf(t, g, ClientID, scopes...)
}

// NewRPOf is the relying party of another configured client, one with
// ClientSecret and RedirectURI (e.g. a client on another ID token algorithm).
func NewRPOf(t testing.TB, g *Gateway, clientID string, scopes ...string) *RP {
	t.Helper()
	p, err := gooidc.NewProvider(context.Background(), g.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	if len(scopes) == 0 {
		scopes = []string{gooidc.ScopeOpenID, "profile", "email", "groups", gooidc.ScopeOfflineAccess}
	}
	return &RP{G: g, Provider: p, OAuth: &oauth2.Config{ClientID: clientID, ClientSecret: ClientSecret,
		Endpoint: endpoint(p), RedirectURL: RedirectURI, Scopes: scopes}}
}

// endpoint pins Basic auth: x/oauth2's auto-detection would retry a refused
// secret in the body, after the first try has already spent the code.
func endpoint(p *gooidc.Provider) oauth2.Endpoint {
	e := p.Endpoint()
	e.AuthStyle = oauth2.AuthStyleInHeader
	return e
}

// Flow is one login's secrets, held by the relying party.
type Flow struct{ State, Nonce, Verifier string }

// NewFlow makes fresh secrets for a login.
func NewFlow() Flow {
	return Flow{State: oauth2.GenerateVerifier()[:20], Nonce: oauth2.GenerateVerifier()[:20], Verifier: oauth2.GenerateVerifier()}
}

// AuthURL is where the relying party sends the browser to log in.
func (r *RP) AuthURL(f Flow) string {
	return r.OAuth.AuthCodeURL(f.State, gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
}

// Code logs in through the form and returns the code from the redirect.
func (r *RP) Code(t testing.TB, browser *http.Client, f Flow, email, password string) string {
	t.Helper()
	resp := LogIn(t, browser, r.G.URL, r.AuthURL(f), email, password)
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), RedirectURI) {
		t.Fatalf("login ended at %d %v, not at the relying party", resp.StatusCode, loc)
	}
	if got := loc.Query().Get("state"); got != f.State {
		t.Fatalf("state = %q, want %q", got, f.State)
	}
	return loc.Query().Get("code")
}

// Tokens logs p in through the form and exchanges the code.
func (r *RP) Tokens(t testing.TB, browser *http.Client, p Person) *oauth2.Token {
	t.Helper()
	f := NewFlow()
	tok, err := r.OAuth.Exchange(context.Background(), r.Code(t, browser, f, p.Email, p.Password), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

// VerifyIDToken checks the ID token's signature, audience, issuer and nonce.
func (r *RP) VerifyIDToken(t testing.TB, tok *oauth2.Token, nonce string) *gooidc.IDToken {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.Provider.Verifier(&gooidc.Config{ClientID: r.OAuth.ClientID}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != nonce || idt.Issuer != r.G.URL {
		t.Fatalf("nonce %q issuer %q; want %q %q", idt.Nonce, idt.Issuer, nonce, r.G.URL)
	}
	return idt
}

// LoggedIn is a new browser in which p logged in through the relying party.
func (r *RP) LoggedIn(t testing.TB, p Person) *http.Client {
	t.Helper()
	browser := Browser(t)
	r.Code(t, browser, NewFlow(), p.Email, p.Password)
	return browser
}

// WantLoggedIn checks whether a new login from the relying party goes
// straight through (the session lives) or asks for a password.
func (r *RP) WantLoggedIn(t testing.TB, browser *http.Client, want bool) {
	t.Helper()
	resp, body := Get(t, browser, r.AuthURL(NewFlow()))
	resp, _ = Follow(t, browser, r.G.URL, resp, body)
	loc, _ := resp.Location()
	if got := loc != nil && strings.HasPrefix(loc.String(), RedirectURI); got != want {
		t.Errorf("logged in: %v; want %v (login ended at %d %v)", got, want, resp.StatusCode, loc)
	}
}

// ConfirmLogout asks for RP-initiated logout with params, clicks the
// confirmation's button and returns where the browser is sent.
func ConfirmLogout(t testing.TB, g *Gateway, browser *http.Client, params url.Values) string {
	t.Helper()
	resp, body := Get(t, browser, g.URL+"/end_session?"+params.Encode())
	resp, body = Follow(t, browser, g.URL, resp, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("end_session: %d, not the confirmation page", resp.StatusCode)
	}
	if hint := params.Get("id_token_hint"); hint != "" && strings.Contains(resp.Request.URL.String()+body, hint) {
		t.Error("the confirmation page carries the ID token (the person's claims) along")
	}
	resp, _ = Submit(t, browser, resp.Request.URL.String(), body, "/logout", nil)
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		t.Fatalf("confirming: %d %v", resp.StatusCode, err)
	}
	return loc.String()
}

// CreateMember makes an admitted person who has accepted every policy, so
// a login goes straight through to the relying party.
func (g *Gateway) CreateMember(t testing.TB, email, username string, roles ...string) Person {
	t.Helper()
	p := g.CreatePerson(t, email, username, people.Admitted, roles...)
	g.AcceptAllPolicies(t, p.ID)
	return p
}

// LoggedIn is a new browser in which p logged in through the login form,
// without a relying party; the login must succeed.
func (g *Gateway) LoggedIn(t testing.TB, p Person) *http.Client {
	t.Helper()
	b := Browser(t)
	_, body := Get(t, b, g.URL+"/login")
	resp, _ := Submit(t, b, g.URL+"/login", body, "/login", url.Values{"email": {p.Email}, "password": {p.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logging in %s: %d", p.Email, resp.StatusCode)
	}
	return b
}
