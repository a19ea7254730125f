package oidc

import (
	"net/http"
	"net/url"
)

// withIssuerParameter adds RFC 9207's iss to every authorization response,
// success or error, so that a relying party using several providers can
// tell whose response it holds (a mix-up attack). op builds those redirects
// in several places with no hook for extra parameters; they all leave from
// the authorization endpoint or its callback, so they are amended there, as
// the redirect is written. Responses go only in the query or the fragment:
// CreateAuthRequest refuses response_mode=form_post.
func withIssuerParameter(issuer string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/authorize" || r.URL.Path == "/authorize/callback" {
			w = &issuerWriter{ResponseWriter: w, issuer: issuer}
		}
		next.ServeHTTP(w, r)
	})
}

type issuerWriter struct {
	http.ResponseWriter
	issuer string
}

func (w *issuerWriter) WriteHeader(status int) {
	if status == http.StatusFound || status == http.StatusSeeOther {
		if loc := w.Header().Get("Location"); loc != "" {
			w.Header().Set("Location", withIssuer(loc, w.issuer))
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *issuerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withIssuer adds iss beside the code or error of an authorization response
// in loc; any other redirect (to the login page) is left as it is.
func withIssuer(loc, issuer string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	if q := u.Query(); isAuthorizationResponse(q) {
		q.Set("iss", issuer)
		u.RawQuery = q.Encode()
		return u.String()
	}
	if f, err := url.ParseQuery(u.EscapedFragment()); err == nil && isAuthorizationResponse(f) {
		f.Set("iss", issuer)
		u.RawFragment = f.Encode()
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
		return u.String()
	}
	return loc
}

func isAuthorizationResponse(v url.Values) bool {
	return v.Has("code") || v.Has("error")
}
