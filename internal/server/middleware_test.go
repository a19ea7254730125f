package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name, remote, xff string
		proxies           []netip.Prefix
		want              string
	}{
		{"no proxies configured: XFF ignored", "203.0.113.9:1234", "198.51.100.1", nil, "203.0.113.9"},
		{"untrusted peer: XFF ignored", "203.0.113.9:1234", "198.51.100.1", proxies, "203.0.113.9"},
		{"trusted peer: last untrusted hop", "10.0.0.2:1234", "198.51.100.1, 10.0.0.7", proxies, "198.51.100.1"},
		{"spoofed leftmost hop is not believed", "10.0.0.2:1234", "1.2.3.4, 198.51.100.1", proxies, "198.51.100.1"},
		{"all hops trusted: the first", "10.0.0.2:1234", "10.0.0.5", proxies, "10.0.0.5"},
		{"a hop that is no address is not believed", "10.0.0.2:1234", "198.51.100.1, junk\xff", proxies, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Forwarded-For", tt.xff)
			if got := clientIP(r, tt.proxies); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := securityHeaders([]string{"https://social.example.coop"}, true, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for header, want := range map[string]string{
		"Content-Security-Policy":   "default-src 'none'; style-src 'self'; img-src 'self' data: https:; base-uri 'none'; frame-ancestors 'none'; form-action 'self' https://social.example.coop",
		"X-Content-Type-Options":    "nosniff",
		"X-Frame-Options":           "DENY",
		"Referrer-Policy":           "same-origin",
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
	} {
		if got := rec.Header().Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	rec = httptest.NewRecorder()
	securityHeaders(nil, false, http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain http")
	}
}

func TestBodyLimit(t *testing.T) {
	var readErr error
	h := bodyLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = r.Body.Read(make([]byte, 2<<20))
		for readErr == nil {
			_, readErr = r.Body.Read(make([]byte, 1<<20))
		}
	}))
	big := make([]byte, 2<<20)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/signup", bytesReader(big)))
	if readErr == nil || readErr.Error() != "http: request body too large" {
		t.Errorf("2 MiB form read: %v; want request body too large", readErr)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func TestProxyWatchWarnsOnlyAboutUntrustedPeers(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	trustedLoopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	for _, tt := range []struct {
		name    string
		proxies []netip.Prefix
		xff     func(i int) string
		warn    bool
	}{
		{"untrusted peer, many clients", nil, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, true},
		{"trusted peer, many clients", trustedLoopback, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, false},
		{"untrusted peer, one client", nil, func(int) string { return "198.51.100.1" }, false},
		{"untrusted peer, junk", nil, func(i int) string { return fmt.Sprintf("junk-%d", i) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			watch := newProxyWatch(log)
			h := requestContext(log, tt.proxies, watch, http.NotFoundHandler())
			for i := 0; i < 2*proxyThreshold; i++ {
				r := httptest.NewRequest("GET", "/", nil)
				r.RemoteAddr = "127.0.0.1:4242"
				r.Header.Set("X-Forwarded-For", tt.xff(i))
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			if got := watch.Warning() != ""; got != tt.warn {
				t.Errorf("warning = %q; want one: %v", watch.Warning(), tt.warn)
			}
		})
	}
}
