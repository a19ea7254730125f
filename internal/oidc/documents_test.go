package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
)

// testConfig is a configuration with the clients given (YAML list items).
func testConfig(t testing.TB, clients ...string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(`
issuer: http://127.0.0.1:8080
database_url: postgres://unused
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op}
smtp: {from: id@example.coop, console: true}
clients:
`+strings.Join(clients, "")), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testProvider(t testing.TB, moreClients ...string) (*Provider, *Keyring) {
	t.Helper()
	cfg := testConfig(t, append([]string{
		"  - {id: rp, name: RP, secret: test-secret-0123456789, auth_method: client_secret_basic, redirect_uris: ['https://rp.example/cb']}\n",
	}, moreClients...)...)
	box, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	keys := NewKeyring(pgtest.New(t), box, cfg.Keys.PublishLead, cfg.Keys.RetiredFor, AlgorithmsInUse(cfg.Clients))
	if err := keys.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := NewProvider(cfg, NewStorage(cfg, Deps{Keys: keys, Log: log}), log)
	if err != nil {
		t.Fatal(err)
	}
	return p, keys
}

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestDiscoveryIsOpsDocumentServedWithCacheHeaders(t *testing.T) {
	p, _ := testProvider(t)
	rec := get(t, p.Handler(), "GET", "/.well-known/openid-configuration", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	// op's document, less what op advertises but coopgate does not serve,
	// plus the classes of login coopgate tells of, and RFC 9207's flag,
	// which op has no field for.
	opCfg := op.CreateDiscoveryConfig(op.ContextWithIssuer(context.Background(), "http://127.0.0.1:8080"), p.Provider, p.storage)
	opCfg.DeviceAuthorizationEndpoint = ""
	opCfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
	opCfg.ResponseTypesSupported = []string{"code"}
	opCfg.ACRValuesSupported = []string{"pwd", "mfa"}
	want, _ := json.Marshal(opCfg)
	want = append(want[:len(want)-1], `,"authorization_response_iss_parameter_supported":true}`...)
	if got := bytes.TrimSpace(rec.Body.Bytes()); !bytes.Equal(got, want) {
		t.Errorf("discovery differs from op's:\n got %s\nwant %s", got, want)
	}
	var doc struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || strings.Join(doc.Algs, " ") != "RS256 ES256 EdDSA" {
		t.Errorf("ID token algorithms %v (%v); want RS256 ES256 EdDSA", doc.Algs, err)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	etag := rec.Header().Get("ETag")
	again := get(t, p.Handler(), "GET", "/.well-known/openid-configuration", http.Header{"If-None-Match": {etag}})
	if etag == "" || again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("with If-None-Match %s: status %d, %d bytes; want 304, none", etag, again.Code, again.Body.Len())
	}
	cors := get(t, p.Handler(), "GET", "/.well-known/openid-configuration", http.Header{"Origin": {"https://rp.example"}})
	if cors.Header().Get("Access-Control-Allow-Origin") != "https://rp.example" {
		t.Errorf("a relying party's browser may not read discovery: %v", cors.Header())
	}
}

func TestKeySetFollowsRotation(t *testing.T) {
	p, keys := testProvider(t)
	kidsOf := func(rec *httptest.ResponseRecorder) []string {
		var set struct {
			Keys []struct {
				Kid, Alg, Use, N string
			}
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
			t.Fatal(err)
		}
		var kids []string
		for _, k := range set.Keys {
			if k.Alg != "RS256" || k.Use != "sig" || k.N == "" {
				t.Errorf("key %+v is not an RS256 signing key", k)
			}
			kids = append(kids, k.Kid)
		}
		return kids
	}
	first := get(t, p.Handler(), "GET", "/keys", nil)
	if got := kidsOf(first); len(got) != 1 {
		t.Fatalf("%d keys published; want 1", len(got))
	}
	if cc := first.Header().Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") {
		t.Errorf("Cache-Control %q", cc)
	}
	rotated, _, err := keys.Rotate(context.Background(), audit.System)
	if err != nil || len(rotated) != 1 {
		t.Fatalf("rotated %v, %v; want one RS256 key", rotated, err)
	}
	kid := rotated[0].ID
	second := get(t, p.Handler(), "GET", "/keys", http.Header{"If-None-Match": {first.Header().Get("ETag")}})
	if second.Code != http.StatusOK {
		t.Fatalf("after rotation the old key set was still current (status %d)", second.Code)
	}
	if got := kidsOf(second); len(got) != 2 || got[0] != kid {
		t.Errorf("after rotation published %v; want the new key %s first, then the old one", got, kid)
	}
}

// TestKeySetPublishesAKeyPerAlgorithmInUse: with clients on ES256 and EdDSA
// besides the default, the key set has one current key of each kind, each
// usable by a relying party for its algorithm.
func TestKeySetPublishesAKeyPerAlgorithmInUse(t *testing.T) {
	p, _ := testProvider(t,
		"  - {id: es, name: ES, secret: test-secret-0123456789, auth_method: client_secret_basic, redirect_uris: ['https://es.example/cb'], id_token_signed_response_alg: ES256}\n",
		"  - {id: ed, name: ED, secret: test-secret-0123456789, auth_method: client_secret_basic, redirect_uris: ['https://ed.example/cb'], id_token_signed_response_alg: EdDSA}\n",
		"  - {id: ed2, name: ED2, secret: test-secret-0123456789, auth_method: client_secret_basic, redirect_uris: ['https://ed2.example/cb'], id_token_signed_response_alg: EdDSA}\n")
	rec := get(t, p.Handler(), "GET", "/keys", nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, k := range set.Keys {
		if !k.Valid() || !k.IsPublic() || k.Use != "sig" {
			t.Errorf("key %s (%s) is not a valid public signing key", k.KeyID, k.Algorithm)
		}
		kinds[k.Algorithm] = fmt.Sprintf("%T", k.Key)
	}
	want := map[string]string{"RS256": "*rsa.PublicKey", "ES256": "*ecdsa.PublicKey", "EdDSA": "ed25519.PublicKey"}
	if len(set.Keys) != 3 || !maps.Equal(kinds, want) {
		t.Errorf("published %d keys %v; want one of each: %v", len(set.Keys), kinds, want)
	}
}

func TestDocumentsPassOtherMethodsToOp(t *testing.T) {
	p, _ := testProvider(t)
	if rec := get(t, p.Handler(), "GET", "/keys", nil); rec.Code != http.StatusOK {
		t.Fatalf("GET /keys: %d", rec.Code)
	}
	for _, path := range []string{"/keys", "/.well-known/openid-configuration"} {
		rec := get(t, p.Handler(), "POST", path, nil)
		if rec.Header().Get("ETag") != "" {
			t.Errorf("POST %s was served from the cached document", path)
		}
	}
}

// BenchmarkDocuments compares op's discovery and key set, made per request,
// with the bytes made once: the handlers alone, without network or the
// server's middleware (docs/benchmarks.md).
func BenchmarkDocuments(b *testing.B) {
	p, _ := testProvider(b)
	for _, bc := range []struct {
		name, path string
		h          http.Handler
	}{
		{"discovery/op", "/.well-known/openid-configuration", p.Provider.HttpHandler()},
		{"discovery/cached", "/.well-known/openid-configuration", p.Handler()},
		{"keys/op", "/keys", p.Provider.HttpHandler()},
		{"keys/cached", "/keys", p.Handler()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", bc.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
