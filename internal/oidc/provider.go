package oidc

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/coopgate/coopgate/internal/config"
)

// Provider is the OpenID provider with coopgate's hardening around op's handler.
type Provider struct {
	*op.Provider
	storage *Storage
	issuer  string
	handler http.Handler
}

// NewProvider assembles the provider on storage.
func NewProvider(cfg *config.Config, storage *Storage, log *slog.Logger) (*Provider, error) {
	key := cfg.Key()
	if len(key) != 32 {
		return nil, fmt.Errorf("crypto_key: must be 32 bytes, base64")
	}
	opCfg := &op.Config{
		CryptoKeyId:              "1",
		DefaultLogoutRedirectURI: cfg.Issuer + "/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes:          []string{oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, ScopeGroups, ScopeCoop, oidc.ScopeOfflineAccess},
		SupportedClaims:          append(slices.Clone(op.DefaultSupportedClaims), "groups", "terms", "membership"),
	}
	copy(opCfg.CryptoKey[:], key)
	crypto, err := newTokenCrypto(opCfg.CryptoKey, opCfg.CryptoKeyId)
	if err != nil {
		return nil, fmt.Errorf("crypto_key: %w", err)
	}
	opts := []op.Option{op.WithCORSOptions(corsOptions(cfg)), op.WithLogger(log), op.WithCrypto(crypto),
		// an id_token_hint at logout is one of coopgate's ID tokens, of any
		// client's algorithm: op's default list lacks EdDSA
		op.WithIDTokenHintVerifierOpts(op.WithSupportedIDTokenHintSigningAlgorithms(algorithmNames()...))}
	if cfg.Dev || isLoopbackIssuer(cfg.Issuer) {
		opts = append(opts, op.WithAllowInsecure()) // http on localhost only: config refuses it elsewhere
	}
	p, err := op.NewProvider(opCfg, storage, op.StaticIssuer(cfg.Issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc provider: %w", err)
	}
	prov := &Provider{Provider: p, storage: storage, issuer: cfg.Issuer}
	docs, err := newDocuments(context.Background(), p, storage, cfg.Issuer, cfg.Keys.PublishLead)
	if err != nil {
		return nil, err
	}
	prov.handler = docs.handler(corsOptions(cfg), noStore(prov.endpoints(cfg)))
	return prov, nil
}

func algorithmNames() []string {
	names := make([]string, len(SignatureAlgorithms))
	for i, a := range SignatureAlgorithms {
		names[i] = string(a)
	}
	return names
}

func isLoopbackIssuer(issuer string) bool {
	u, err := url.Parse(issuer)
	return err == nil && u.Scheme == "http" && config.IsLoopbackHost(u.Hostname())
}

// corsOptions let browsers of the relying parties' own origins call the token,
// userinfo and key endpoints (a public client in a browser needs that), with
// no cookies: op's default allows every origin with credentials.
func corsOptions(cfg *config.Config) *cors.Options {
	return &cors.Options{
		AllowedOrigins:   cfg.CORSOrigins(),
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept"},
		AllowCredentials: false,
	}
}

// Handler serves the provider's endpoints.
func (p *Provider) Handler() http.Handler { return p.handler }

// CoopStorage is the provider's storage, with coopgate's own methods.
func (p *Provider) CoopStorage() *Storage { return p.storage }

// CallbackURL is where the login pages send the browser once an auth
// request is complete; op then issues the code.
func (p *Provider) CallbackURL(authRequestID string) string {
	return p.issuer + "/authorize/callback?id=" + url.QueryEscape(authRequestID)
}

// noStore marks responses that carry tokens as not cacheable (RFC 6749 §5.1).
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/oauth/token"), strings.HasSuffix(r.URL.Path, "/userinfo"),
			strings.HasSuffix(r.URL.Path, "/oauth/introspect"), strings.HasSuffix(r.URL.Path, "/authorize/callback"):
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Pragma", "no-cache")
		}
		next.ServeHTTP(w, r)
	})
}

// endpoints are op's Server on the storage, with userinfo served by
// coopgate (userinfo.go) and client assertions refused up front. RFC 9207's
// iss is added by the server around everything (IssuerParameter).
func (p *Provider) endpoints(cfg *config.Config) http.Handler {
	ops := op.RegisterLegacyServer(newServer(p.Provider, p.storage), op.AuthorizeCallbackHandler(p.Provider),
		op.WithServerCORSOptions(corsOptions(cfg)))
	mux := http.NewServeMux()
	mux.Handle("/", refuseClientAssertions(p.inferLogoutClient(ops)))
	mux.Handle("/userinfo", cors.New(*corsOptions(cfg)).Handler(&userinfo{crypto: p.Crypto(), storage: p.storage}))
	return mux
}

// inferLogoutClient serves RP-initiated logout requests that carry only a
// post_logout_redirect_uri, as Mastodon and GitLab send them: op honours that
// URI only when it knows the client, so the client whose allow-list holds the
// URI exactly is named for it. A URI on no allow-list is ignored by op.
func (p *Provider) inferLogoutClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/end_session" && r.ParseForm() == nil {
			f := r.Form
			if redirect := f.Get("post_logout_redirect_uri"); redirect != "" && f.Get("client_id") == "" && f.Get("id_token_hint") == "" {
				if id := p.clientForLogoutRedirect(redirect); id != "" {
					f.Set("client_id", id)
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseClientAssertions answers invalid_client to a client that
// authenticates with a signed assertion (RFC 7523, private_key_jwt): no
// coopgate client is configured for it. op answers some forms of it with
// invalid_request and one (the refresh grant) with a server error.
func refuseClientAssertions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth/token", "/revoke", "/oauth/introspect":
			if r.ParseForm() == nil && (r.Form.Has("client_assertion") || r.Form.Has("client_assertion_type")) {
				op.WriteError(w, r, unauthorized(oidc.ErrInvalidClient().
					WithDescription("client assertions (private_key_jwt) are not supported: use the client secret")), nil)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
