package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func TestArrivalsAreTheSameMondayEveryRun(t *testing.T) {
	a, b := arrivals(300, time.Minute), arrivals(300, time.Minute)
	if !slices.Equal(a, b) || len(a) != 300 || !slices.IsSorted(a) {
		t.Fatal("arrivals differ between runs, or are not 300 in order")
	}
	if a[0] < 0 || a[len(a)-1] >= time.Minute {
		t.Errorf("arrivals from %v to %v; want within the minute", a[0], a[len(a)-1])
	}
	// Spread over the whole minute, not bunched at its start.
	if n := len(slices.DeleteFunc(slices.Clone(a), func(d time.Duration) bool { return d >= 30*time.Second })); n < 120 || n > 180 {
		t.Errorf("%d of 300 arrive in the first half minute", n)
	}
}

func TestMembersAreDifferentPeople(t *testing.T) {
	for _, target := range []Target{&Coopgate{People: 1000}, &Coopgate{People: 100000}, &Peer{}} {
		seen := map[string]bool{}
		for i := range 300 {
			seen[target.Member(i, 300).Username] = true
		}
		if len(seen) != 300 {
			t.Errorf("%s: %d different people among 300 members", target.Name(), len(seen))
		}
	}
}

// TestVerifyIDTokenHoldsTheServerToItsAlgorithm: an ID token passes only if
// it is signed with the algorithm the run is of, by a key of the server's
// key set, for the bench client and from the issuer.
func TestVerifyIDTokenHoldsTheServerToItsAlgorithm(t *testing.T) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &ec.PublicKey, KeyID: "ec", Algorithm: "ES256", Use: "sig"},
		{Key: &rs.PublicKey, KeyID: "rs", Algorithm: "RS256", Use: "sig"},
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(set) }))
	t.Cleanup(srv.Close)
	rp := &relyingParty{http: srv.Client(), client: benchClient(), ep: endpoints{Issuer: "http://issuer", JWKS: srv.URL}}
	sign := func(alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(claims)
		jws, _ := s.Sign(payload)
		raw, _ := jws.CompactSerialize()
		return raw
	}
	good := map[string]any{"iss": "http://issuer", "aud": "bench"}
	for _, tc := range []struct {
		name, token, alg, wantErr string
	}{
		{"ES256 as asked", sign(jose.ES256, ec, "ec", good), "ES256", ""},
		{"audience a list", sign(jose.ES256, ec, "ec", map[string]any{"iss": "http://issuer", "aud": []string{"bench"}}), "ES256", ""},
		{"RS256 where ES256 was asked", sign(jose.RS256, rs, "rs", good), "ES256", "not signed with ES256"},
		{"a key not in the set", sign(jose.ES256, ec, "other", good), "ES256", `key "other"`},
		{"signed by another key", sign(jose.RS256, mustRSA(t), "rs", good), "RS256", "ID token:"},
		{"another client's", sign(jose.ES256, ec, "ec", map[string]any{"iss": "http://issuer", "aud": "x"}), "ES256", "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := rp.verifyIDToken(context.Background(), tc.token, tc.alg)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("err = %v; want %q", err, tc.wantErr)
			}
		})
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestReportHasATablePerAlgorithm: both algorithms' tables, each with the
// Monday morning table, and failures of either run counted.
func TestReportHasATablePerAlgorithm(t *testing.T) {
	monday := newStats()
	monday.requests, monday.elapsed = 299, 61*time.Second
	monday.latency.record(300 * time.Millisecond)
	monday.fail(&httpError{Method: "POST", Path: "/login", Status: 503})
	run := func(alg string, m *stats) algRun {
		code := newStats()
		code.requests, code.elapsed = 100, time.Second
		code.latency.record(time.Millisecond)
		return algRun{alg: alg, servers: []serverResult{{name: "coopgate", scenarios: []scenarioResult{
			{name: "code grant (token exchange)", stats: code}, {name: mondayName, stats: m}}}}}
	}
	r := report{cfg: Config{Members: 300, Window: time.Minute}, runs: []algRun{run("RS256", newStats()), run("ES256", monday)}}
	md := r.markdown()
	for _, want := range []string{"## ID tokens signed with RS256", "## ID tokens signed with ES256",
		"| Monday morning: 300 members arrive at random within 1m0s", "| logged in | 299 | — |",
		"| first arrival → last member in | 61.00 s | — |", "coopgate (ES256) / Monday morning: 1 × POST /login: status 503"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "| code grant (token exchange) |") != 2 {
		t.Error("the code grant is not in both algorithms' tables")
	}
	if r.failures() != 1 {
		t.Errorf("failures = %d; want the one in the ES256 run", r.failures())
	}
}
