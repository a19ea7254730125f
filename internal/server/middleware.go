package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/web/page"
)

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// requestContext gives each request an id, its client's address and an
// access-log line. The log has the path only: queries carry codes and tokens.
func requestContext(log *slog.Logger, proxies []netip.Prefix, watch *proxyWatch, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		ctx := page.WithRequestID(r.Context(), id)
		ctx = page.WithClientIP(ctx, clientIP(r, proxies))
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			if peer := peerIP(r); !trusted(peer, proxies) {
				watch.observe(ctx, peer, xff)
			}
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(ctx))
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		log.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)), slog.String("request_id", id))
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// peerIP is the address the request's connection comes from.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// clientIP believes X-Forwarded-For only as far back as trusted proxies go.
func clientIP(r *http.Request, proxies []netip.Prefix) string {
	host := peerIP(r)
	if len(proxies) == 0 || !trusted(host, proxies) {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		if _, err := netip.ParseAddr(hop); err != nil {
			// Not an address: whatever wrote it is not a proxy we trust,
			// so the last trusted hop is the client as far as we know.
			return host
		}
		if !trusted(hop, proxies) {
			return hop
		}
		host = hop
	}
	return host
}

func trusted(ip string, proxies []netip.Prefix) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range proxies {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// securityHeaders go on every response. Script runs only from coopgate's
// own files (/static/passkey.js, which passkeys need: WebAuthn is a
// JavaScript API), never inline, and may fetch only from coopgate; forms
// may post to coopgate and redirect on to the relying parties.
func securityHeaders(formTargets []string, hsts bool, next http.Handler) http.Handler {
	csp := "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
		"base-uri 'none'; frame-ancestors 'none'; form-action 'self' " + strings.Join(formTargets, " ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// bodyLimit bounds request bodies; the register's and the federation
// decisions' imports take files.
func bodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(1 << 20)
		if uploadPaths[r.URL.Path] {
			limit = 11 << 20
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panic into a 500 and a log line with the request id.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic", "panic", p, "path", r.URL.Path, "request_id", page.RequestID(r.Context()))
				http.Error(w, "Something went wrong on our side.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
