// Package server assembles coopgate's HTTP server: every route in one table,
// the middleware every request passes, and the provider's endpoints beside
// the pages. It holds no product logic; each area's handler does.
package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/csrf"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/metrics"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Area is one part of the site: it adds its routes to the page mux.
type Area interface {
	Mount(mux *http.ServeMux)
}

// Deps is what the server is assembled from.
type Deps struct {
	Config   *config.Config
	Pool     *pgxpool.Pool
	Log      *slog.Logger
	Provider *oidc.Provider
	Render   *page.Renderer
	Sessions *session.Manager
	Areas    []Area
	// Extra routes outside sessions and CSRF (webhooks), pattern → handler.
	Extra map[string]http.Handler
	// Metrics observes latency by route; nil for none.
	Metrics *metrics.Metrics
}

// providerPaths are op's endpoints, which have their own protection (client
// authentication, PKCE) and must not pass the CSRF check.
var providerPaths = []string{
	"/.well-known/openid-configuration", "/authorize", "/oauth/token", "/oauth/introspect",
	"/userinfo", "/revoke", "/keys",
}

// New builds the server's handler.
func New(d Deps) (http.Handler, error) {
	proxies, err := parseProxies(d.Config.TrustedProxies)
	if err != nil {
		return nil, err
	}
	secure := d.Config.SecureCookies()
	pages := http.NewServeMux()
	for _, a := range d.Areas {
		a.Mount(pages)
	}
	pages.Handle("GET /theme.css", themeCSS(d.Config.Coop))

	root := http.NewServeMux()
	for _, p := range providerPaths {
		root.Handle(p, d.Provider.Handler())
	}
	root.Handle("/authorize/callback", callbackGuard(d, d.Provider.Handler()))
	root.Handle("/end_session", endSession(d))
	root.Handle("GET /healthz", healthz())
	watch := newProxyWatch(d.Log, time.Now)
	root.Handle("GET /readyz", readyz(d.Pool, watch))
	for pattern, h := range d.Extra {
		root.Handle(pattern, h)
	}
	root.Handle("/", withCSRF(d, secure, withLogin(d, pages)))

	var h http.Handler = root
	if d.Metrics != nil {
		h = d.Metrics.Middleware(routeOf(root, pages), h)
	}
	h = d.Provider.IssuerParameter(h) // one place for RFC 9207's iss, whichever page answers the relying party
	h = validText(d.Render, h)
	h = bodyLimit(h)
	h = securityHeaders(d.Config.FormActionOrigins(), secure, h)
	h = requestContext(d.Log, proxies, watch, h)
	return recoverPanics(d.Log, h), nil
}

// routeOf names a request by the pattern that serves it, looked up again in
// the muxes: a path may carry ids and tokens, a pattern never does.
func routeOf(root, pages *http.ServeMux) metrics.Route {
	return func(r *http.Request) string {
		_, pattern := root.Handler(r)
		if pattern == "/" {
			_, pattern = pages.Handler(r)
		}
		if pattern == "" {
			return "unmatched"
		}
		return pattern
	}
}

func parseProxies(cidrs []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(cidrs))
	for i, c := range cidrs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies[%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// withCSRF guards every form. Over plain http (dev on localhost) gorilla/csrf
// must be told, or its strict Referer check for https refuses every POST.
func withCSRF(d Deps, secure bool, next http.Handler) http.Handler {
	protect := csrf.Protect(csrfKey(d.Config.CookieSecret),
		csrf.Secure(secure), csrf.Path("/"), csrf.FieldName("csrf_token"),
		csrf.CookieName(csrfCookie(secure)), csrf.SameSite(csrf.SameSiteLaxMode),
		csrf.ErrorHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d.Render.Fail(w, r, &page.Error{Status: http.StatusForbidden,
				Message: "This form has expired or came from another site. Go back, reload the page and try again.",
				Err:     csrf.FailureReason(r)})
		})))(next)
	if secure {
		return protect
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protect.ServeHTTP(w, csrf.PlaintextHTTPRequest(r))
	})
}

func csrfCookie(secure bool) string {
	if secure {
		return "__Host-coopgate-csrf"
	}
	return "coopgate-csrf"
}

func csrfKey(secret string) []byte {
	k := []byte(secret)
	if len(k) > 32 {
		k = k[:32]
	}
	return k
}

// withLogin puts who the browser's session belongs to in the request's
// context, once, for every page, with the roles that need a second factor
// (which the guards of those roles' pages check). While the database is down no one can be
// recognised: rather than answer as if the person were logged out, pages
// say so (503). Static files need no one.
func withLogin(d Deps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") || r.URL.Path == "/theme.css" {
			next.ServeHTTP(w, r)
			return
		}
		r, err := d.Sessions.Load(r)
		if err != nil {
			d.Render.Fail(w, r, err)
			return
		}
		ctx := page.WithSecondFactorRoles(r.Context(), d.Config.Security.RequireSecondFactor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// callbackGuard lets op issue a code only to the browser of the person who
// logged in: an auth request id leaked to someone else is worth nothing.
// A callback loaded again once its code was issued (the back button, a
// double click) gets a page saying so: op would answer the relying party
// with server_error.
func callbackGuard(d Deps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ar, err := d.Provider.CoopStorage().AuthRequest(r.Context(), r.URL.Query().Get("id"))
		if errors.Is(err, oidc.ErrNotFound) {
			d.Render.Fail(w, r, page.Gone("This login has expired. Go back to the service you came from and log in again."))
			return
		}
		r, serr := d.Sessions.Load(r)
		if err = cmp.Or(err, serr); err != nil {
			d.Render.Fail(w, r, &page.Error{Status: http.StatusServiceUnavailable, Err: err,
				Message: "We can't finish your login right now. Please try again in a minute."})
			return
		}
		if id := session.FromContext(r.Context()).PersonID(); id == "" || id != ar.PersonID {
			d.Render.Fail(w, r, page.Forbidden())
			return
		}
		if ar.CodeIssued {
			loginFinished(d, w, r, ar)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LoginFinishedPage answers a callback whose login already went back to
// the relying party.
type LoginFinishedPage struct {
	ClientName string
	ServiceURL string // the relying party's origin, taken from its redirect URI
}

func loginFinished(d Deps, w http.ResponseWriter, r *http.Request, ar *oidc.AuthRequest) {
	data := LoginFinishedPage{ClientName: "the service"}
	if c, ok := d.Provider.CoopStorage().Client(ar.ClientID); ok {
		data.ClientName = c.Name()
	}
	if u, err := url.Parse(ar.RedirectURI); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
		data.ServiceURL = u.Scheme + "://" + u.Host + "/"
	}
	if err := d.Render.Render(w, r, http.StatusOK, "login/finished", "Login finished", data); err != nil {
		d.Render.Fail(w, r, err)
	}
}

func healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
}

// readyz is ready when the database answers and its schema is current. It
// also carries what the operator should know while ready (a proxy that
// trusted_proxies leaves out).
func readyz(pool *pgxpool.Pool, watch *proxyWatch) http.Handler {
	schema := &schemaCheck{pool: pool, okFor: 30 * time.Second}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := pool.Ping(ctx); err != nil {
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
			return
		}
		if current, err := schema.current(ctx); err != nil || !current {
			http.Error(w, "database schema is not current: run coopgate migrate", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
		if warning := watch.Warning(); warning != "" {
			_, _ = w.Write([]byte("warning: " + warning + "\n"))
		}
	})
}

// themeCSS carries the co-op's colours, so the stylesheet itself stays static.
func themeCSS(c config.Coop) http.Handler {
	var b strings.Builder
	b.WriteString(":root {")
	if c.PrimaryColour != "" {
		b.WriteString(" --primary: " + c.PrimaryColour + ";")
	}
	if c.AccentColour != "" {
		b.WriteString(" --accent: " + c.AccentColour + ";")
	}
	b.WriteString(" }\n")
	css := []byte(b.String())
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(css)
	})
}
