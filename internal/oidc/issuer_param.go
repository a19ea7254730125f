package oidc

import (
	"net/http"
	"net/url"
)

// IssuerParameter adds RFC 9207's iss to every authorization response,
// success or error, so that a relying party using several providers can
// tell whose response it holds (a mix-up attack). Those responses leave
// from op's authorization endpoint and its callback, and from the login
// pages (login_required, interaction_required, consent_required), each
// building its redirect with no hook for extra parameters; so the server
// wraps everything it serves in this, and every redirect to a relying
// party's registered redirect URI that carries a code or an error gets
// iss as it is written, whichever path wrote it. Responses go only in the
// query or the fragment: CreateAuthRequest refuses response_mode=form_post.
func (p *Provider) IssuerParameter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&issuerWriter{ResponseWriter: w, issuer: p.issuer, isRedirectURI: p.storage.isRedirectURI}, r)
	})
}

type issuerWriter struct {
	http.ResponseWriter
	issuer        string
	isRedirectURI func(*url.URL) bool
}

func (w *issuerWriter) WriteHeader(status int) {
	if status == http.StatusFound || status == http.StatusSeeOther {
		if loc := w.Header().Get("Location"); loc != "" {
			w.Header().Set("Location", w.withIssuer(loc))
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *issuerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withIssuer adds iss beside the code or error of an authorization response
// in loc; any other redirect (to the login page, a logout's) is left as it
// is.
func (w *issuerWriter) withIssuer(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || !w.isRedirectURI(u) {
		return loc
	}
	if q := u.Query(); isAuthorizationResponse(q) {
		q.Set("iss", w.issuer)
		u.RawQuery = q.Encode()
		return u.String()
	}
	if f, err := url.ParseQuery(u.EscapedFragment()); err == nil && isAuthorizationResponse(f) {
		f.Set("iss", w.issuer)
		u.RawFragment = f.Encode()
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
		return u.String()
	}
	return loc
}

func isAuthorizationResponse(v url.Values) bool {
	return v.Has("code") || v.Has("error")
}

// isRedirectURI reports whether u, a response's Location, goes to a redirect
// URI some client registered: op appends the response's parameters to the
// registered URI, whose own query (if any) stays.
func (s *Storage) isRedirectURI(u *url.URL) bool {
	bare := *u
	bare.RawQuery, bare.Fragment, bare.RawFragment = "", "", ""
	for _, c := range s.clients {
		for _, ru := range c.RedirectURIs() {
			registered, err := url.Parse(ru)
			if err != nil {
				continue
			}
			registered.RawQuery, registered.Fragment, registered.RawFragment = "", "", ""
			if registered.String() == bare.String() {
				return true
			}
		}
	}
	return false
}
