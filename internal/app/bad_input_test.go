package app_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Bad input at the OAuth endpoints is the client's mistake: it gets the
// error the specifications name for it, never a server_error (nor a 500),
// and it is logged as a client error, below ERROR.
func TestOAuthEndpointsAnswerBadInputAsTheClientsMistake(t *testing.T) {
	g := apptest.Start(t)
	opLogs := captureDefaultLog(t)
	authorize := func(param, value string) url.Values {
		q := url.Values{"client_id": {apptest.ClientID}, "redirect_uri": {apptest.RedirectURI}, "response_type": {"code"},
			"scope": {"openid"}, "state": {"s"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
			"code_challenge_method": {"S256"}}
		q.Set(param, value)
		return q
	}
	assertion := url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {"eyJhbGciOiJub25lIn0.e30."}}
	with := func(v url.Values, more url.Values) url.Values {
		out := url.Values{}
		for _, src := range []url.Values{v, more} {
			for k, vs := range src {
				out[k] = vs
			}
		}
		return out
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"whatever"}}
	code := url.Values{"grant_type": {"authorization_code"}, "code": {"whatever"}, "redirect_uri": {apptest.RedirectURI}}
	for _, c := range []struct {
		name, method, path string
		form               url.Values
		id, secret         string
		status             int
		error              string // in the JSON body, or in the redirect's query for /authorize
	}{
		{"NUL in state", "GET", "/authorize", authorize("state", "a\x00b"), "", "", http.StatusFound, "invalid_request"},
		{"NUL in nonce", "GET", "/authorize", authorize("nonce", "\x00"), "", "", http.StatusFound, "invalid_request"},
		{"invalid UTF-8 in login_hint", "GET", "/authorize", authorize("login_hint", "ann\xff@example.coop"), "", "", http.StatusFound, "invalid_request"},
		{"NUL in prompt", "GET", "/authorize", authorize("prompt", "\x00"), "", "", http.StatusFound, "invalid_request"},
		{"invalid UTF-8 in code_challenge", "GET", "/authorize", authorize("code_challenge", strings.Repeat("\xfe", 43)), "", "", http.StatusFound, "invalid_request"},
		{"unknown client at end_session", "GET", "/end_session", url.Values{"client_id": {"nobody"}}, "", "", http.StatusBadRequest, "invalid_client"},
		{"unknown client at the refresh grant", "POST", "/oauth/token", refresh, "nobody", "secret", http.StatusUnauthorized, "invalid_client"},
		{"unknown client in the form at the refresh grant", "POST", "/oauth/token", with(refresh, url.Values{"client_id": {"nobody"}, "client_secret": {"x"}}), "", "", http.StatusUnauthorized, "invalid_client"},
		{"client assertion at the refresh grant", "POST", "/oauth/token", with(refresh, assertion), "", "", http.StatusUnauthorized, "invalid_client"},
		{"client assertion at the code grant", "POST", "/oauth/token", with(code, assertion), "", "", http.StatusUnauthorized, "invalid_client"},
		{"client assertion of another type", "POST", "/oauth/token", with(code, url.Values{"client_assertion_type": {"x"}, "client_assertion": {"y"}}), "", "", http.StatusUnauthorized, "invalid_client"},
		{"client assertion type alone", "POST", "/oauth/token", with(refresh, url.Values{"client_assertion_type": {jwtBearer}}), "", "", http.StatusUnauthorized, "invalid_client"},
		{"client assertion at revocation", "POST", "/revoke", with(url.Values{"token": {"x"}}, assertion), "", "", http.StatusUnauthorized, "invalid_client"},
		{"client assertion at introspection", "POST", "/oauth/introspect", with(url.Values{"token": {"x"}}, assertion), "", "", http.StatusUnauthorized, "invalid_client"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opLogs.Reset()
			got := call(t, c.method, g.URL+c.path, c.form, c.id, c.secret)
			errCode := got.errorCode()
			if loc, err := url.Parse(got.header.Get("Location")); err == nil && c.path == "/authorize" {
				errCode = loc.Query().Get("error")
				if !strings.HasPrefix(loc.String(), apptest.RedirectURI) {
					t.Errorf("redirected to %s, not to the client", loc)
				}
			}
			if got.status != c.status || errCode != c.error {
				t.Errorf("%d %q (%s); want %d %s", got.status, errCode, got.body, c.status, c.error)
			}
			if logged := opLogs.String(); strings.Contains(logged, `"level":"ERROR"`) || strings.Contains(logged, "server_error") {
				t.Errorf("logged as a server error:\n%s", logged)
			}
		})
	}
	if strings.Contains(g.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("the gateway logged errors:\n%s", g.Logs)
	}
}

// captureDefaultLog sends slog's default logger, which op logs through, to a
// buffer until the test ends.
func captureDefaultLog(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}
