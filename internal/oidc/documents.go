package oidc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// document is a JSON body served as it is, with its validator.
type document struct {
	body []byte
	etag string
}

func newDocument(v any) (document, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil { // as op encodes it
		return document{}, err
	}
	sum := sha256.Sum256(buf.Bytes())
	return document{body: buf.Bytes(), etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}, nil
}

// serve writes the document, or 304 when the client has it already.
func (d document) serve(w http.ResponseWriter, r *http.Request, maxAge time.Duration) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(maxAge.Seconds())))
	h.Set("ETag", d.etag)
	if r.Header.Get("If-None-Match") == d.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(d.body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(d.body)
	}
}

// Cache lifetimes of the public documents. Discovery changes only with the
// configuration (a restart); the key set changes at rotation, and a new key
// is published keys.publish_lead before it signs, so a relying party that
// caches the set for at most half the lead always has the key in time.
const (
	discoveryMaxAge = time.Hour
	jwksMaxAgeLimit = 5 * time.Minute
)

// documents serves discovery and the key set from bytes made once (and
// again when the published keys change) instead of encoding them per
// request as op does: relying parties fetch both often, and both are the
// same for everyone. CORS is applied as op applies it.
type documents struct {
	discovery  document
	keysPath   string
	keys       *Keyring
	jwksMaxAge time.Duration

	mu   sync.Mutex
	jwks document
	kids []string // the key ids jwks was made from
}

func newDocuments(ctx context.Context, p *op.Provider, storage *Storage, issuer string, lead time.Duration) (*documents, error) {
	cfg := op.CreateDiscoveryConfig(op.ContextWithIssuer(ctx, issuer), p, storage)
	// Advertise only what coopgate serves: op lists its device endpoint and
	// the implicit flow whether or not a provider offers them.
	cfg.DeviceAuthorizationEndpoint = ""
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ACRValuesSupported = []string{ACRPassword, ACRMultiFactor}
	disc, err := newDocument(discovery{DiscoveryConfiguration: cfg, AuthorizationResponseISSParameterSupported: true})
	if err != nil {
		return nil, fmt.Errorf("discovery document: %w", err)
	}
	return &documents{discovery: disc, keysPath: p.KeysEndpoint().Relative(), keys: storage.keys,
		jwksMaxAge: min(lead/2, jwksMaxAgeLimit)}, nil
}

// discovery is op's discovery document with what op has no field for:
// RFC 9207's flag (withIssuerParameter adds iss to authorization responses).
type discovery struct {
	*oidc.DiscoveryConfiguration
	AuthorizationResponseISSParameterSupported bool `json:"authorization_response_iss_parameter_supported"`
}

// handler serves GET and HEAD of both documents and passes anything else on.
func (d *documents) handler(opts *cors.Options, next http.Handler) http.Handler {
	serve := cors.New(*opts).Handler(http.HandlerFunc(d.serve))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ours := r.URL.Path == oidc.DiscoveryEndpoint || r.URL.Path == d.keysPath
		if ours && (r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions) {
			serve.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (d *documents) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == oidc.DiscoveryEndpoint {
		d.discovery.serve(w, r, discoveryMaxAge)
		return
	}
	jwks, err := d.keySet(r.Context())
	if err != nil {
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "signing keys unavailable", http.StatusInternalServerError)
		return
	}
	jwks.serve(w, r, d.jwksMaxAge)
}

// keySet is the published keys' document, remade when they change (the
// keyring reloads them from the database every refreshEvery).
func (d *documents) keySet(ctx context.Context) (document, error) {
	keys, err := d.keys.Published(ctx)
	if err != nil {
		return document{}, err
	}
	kids := make([]string, len(keys))
	for i, k := range keys {
		kids[i] = k.ID()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.jwks.body != nil && slices.Equal(kids, d.kids) {
		return d.jwks, nil
	}
	doc, err := newDocument(jsonWebKeySet(keys))
	if err != nil {
		return document{}, err
	}
	d.jwks, d.kids = doc, kids
	return doc, nil
}

// jsonWebKeySet is the key set as op publishes it.
func jsonWebKeySet(keys []op.Key) *jose.JSONWebKeySet {
	set := &jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, len(keys))}
	for i, k := range keys {
		set.Keys[i] = jose.JSONWebKey{KeyID: k.ID(), Algorithm: string(k.Algorithm()), Use: k.Use(), Key: k.Key()}
	}
	return set
}
