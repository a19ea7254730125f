// Package devrp is a small sample relying party, started by `coopgate dev`
// and used by the browser tests: it logs in through coopgate with the code
// flow and PKCE as Mastodon, Discourse or GitLab would, using an independent
// OIDC client library (coreos/go-oidc), and shows who signed in. It is never
// part of a production deployment.
package devrp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// RP is the sample relying party.
type RP struct {
	Issuer, ClientID, ClientSecret, BaseURL string
	Scopes                                  []string

	once     sync.Once
	provider *gooidc.Provider
	initErr  error
	key      []byte
	// tokens holds each signed-in browser's access token by a random id in
	// its rp_session cookie, so that /me can ask coopgate again, as a
	// service does on a member's later requests. The sample keeps them in
	// memory: it is not coopgate, and runs as one process.
	tokens sync.Map
}

// Handler serves the relying party's pages.
func (rp *RP) Handler() http.Handler {
	rp.key = make([]byte, 32)
	_, _ = rand.Read(rp.key)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", rp.home)
	mux.HandleFunc("GET /login", rp.login)
	mux.HandleFunc("GET /callback", rp.callback)
	mux.HandleFunc("GET /me", rp.me)
	mux.HandleFunc("GET /logout", rp.logout)
	return mux
}

func (rp *RP) discover(ctx context.Context) (*gooidc.Provider, error) {
	rp.once.Do(func() {
		rp.provider, rp.initErr = gooidc.NewProvider(ctx, rp.Issuer)
	})
	return rp.provider, rp.initErr
}

func (rp *RP) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: rp.ClientID, ClientSecret: rp.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: rp.BaseURL + "/callback", Scopes: rp.Scopes}
}

var page = template.Must(template.New("rp").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sample service</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem">
<h1>Sample service</h1>
{{if .Claims}}<p id="signed-in">Signed in as <strong>{{.Username}}</strong> ({{.Email}}).</p>
<h2>Claims</h2><pre>{{.Claims}}</pre><p><a id="refresh" href="/me">Refresh my details</a></p><p><a href="/logout">Log out</a></p>
{{else if .Error}}<p id="error" role="alert">{{.Error}}</p><p><a href="/login">Try again</a></p>
{{else}}<p>A stand-in for Mastodon, Discourse or GitLab.</p><p><a id="login" href="/login">Log in with the co-op</a></p>{{end}}
</body></html>`))

type view struct{ Claims, Username, Email, Error string }

func (rp *RP) home(w http.ResponseWriter, _ *http.Request) { _ = page.Execute(w, view{}) }

// login starts the code flow; state, nonce and the PKCE verifier ride in a
// signed cookie.
func (rp *RP) login(w http.ResponseWriter, r *http.Request) {
	p, err := rp.discover(r.Context())
	if err != nil {
		rp.fail(w, "discovery failed: "+err.Error())
		return
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	http.SetCookie(w, &http.Cookie{Name: "rp_flow", Value: rp.sign(state + "." + nonce + "." + verifier),
		Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	http.Redirect(w, r, rp.oauth(p).AuthCodeURL(state, gooidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (rp *RP) callback(w http.ResponseWriter, r *http.Request) {
	if e := r.URL.Query().Get("error"); e != "" {
		rp.fail(w, "the provider answered: "+e+" "+r.URL.Query().Get("error_description"))
		return
	}
	c, err := r.Cookie("rp_flow")
	parts := strings.Split(rp.verify(cookieValue(c, err)), ".")
	if len(parts) != 3 || parts[0] != r.URL.Query().Get("state") {
		rp.fail(w, "state mismatch")
		return
	}
	claims, tok, err := rp.exchange(r.Context(), r.URL.Query().Get("code"), parts[1], parts[2])
	if err != nil {
		rp.fail(w, err.Error())
		return
	}
	id := random()
	rp.tokens.Store(id, tok)
	http.SetCookie(w, &http.Cookie{Name: "rp_session", Value: rp.sign(id), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	_ = page.Execute(w, claims)
}

// me asks coopgate's userinfo endpoint again with the browser's access
// token: a later request of a signed-in member, which fails once coopgate
// has revoked the token.
func (rp *RP) me(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("rp_session")
	tok, ok := rp.tokens.Load(rp.verify(cookieValue(c, err)))
	if !ok {
		rp.fail(w, "not signed in here")
		return
	}
	p, err := rp.discover(r.Context())
	if err != nil {
		rp.fail(w, "discovery failed: "+err.Error())
		return
	}
	claims, err := userinfo(r.Context(), p, tok.(*oauth2.Token))
	if err != nil {
		rp.fail(w, err.Error())
		return
	}
	_ = page.Execute(w, claims)
}

func (rp *RP) exchange(ctx context.Context, code, nonce, verifier string) (view, *oauth2.Token, error) {
	p, err := rp.discover(ctx)
	if err != nil {
		return view{}, nil, err
	}
	tok, err := rp.oauth(p).Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return view{}, nil, fmt.Errorf("token exchange: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{ClientID: rp.ClientID}).Verify(ctx, raw)
	if err != nil || idt.Nonce != nonce {
		return view{}, nil, fmt.Errorf("ID token rejected: %v (nonce ok: %v)", err, err == nil && idt.Nonce == nonce)
	}
	v, err := userinfo(ctx, p, tok)
	return v, tok, err
}

// userinfo fetches and shows the signed-in person's claims.
func userinfo(ctx context.Context, p *gooidc.Provider, tok *oauth2.Token) (view, error) {
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return view{}, fmt.Errorf("userinfo: %w", err)
	}
	var claims map[string]any
	_ = info.Claims(&claims)
	pretty, _ := json.MarshalIndent(claims, "", "  ")
	username, _ := claims["preferred_username"].(string)
	return view{Claims: string(pretty), Username: username, Email: info.Email}, nil
}

func (rp *RP) logout(w http.ResponseWriter, r *http.Request) {
	q := url.Values{"post_logout_redirect_uri": {rp.BaseURL + "/"}, "client_id": {rp.ClientID}}
	http.Redirect(w, r, rp.Issuer+"/end_session?"+q.Encode(), http.StatusFound)
}

func (rp *RP) fail(w http.ResponseWriter, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	_ = page.Execute(w, view{Error: msg})
}

func cookieValue(c *http.Cookie, err error) string {
	if err != nil {
		return ""
	}
	return c.Value
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (rp *RP) sign(v string) string {
	m := hmac.New(sha256.New, rp.key)
	m.Write([]byte(v))
	return v + "~" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (rp *RP) verify(signed string) string {
	v, _, ok := strings.Cut(signed, "~")
	if !ok || !hmac.Equal([]byte(rp.sign(v)), []byte(signed)) {
		return ""
	}
	return v
}
