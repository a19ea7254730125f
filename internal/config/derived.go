package config

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// derived are the values worked out from the keys, once, when the
// configuration is valid: every part of coopgate reads them here instead of
// decoding or computing its own copy.
type derived struct {
	key               []byte
	secureCookies     bool
	corsOrigins       []string
	formActionOrigins []string
}

// derive fills c.derived; Validate calls it once every key is valid.
func (c *Config) derive() {
	key, _ := base64.StdEncoding.DecodeString(c.CryptoKey) // key32 checked it
	c.derived = derived{
		key:           key,
		secureCookies: strings.HasPrefix(c.Issuer, "https://"),
	}
	for _, cl := range c.Clients {
		c.derived.corsOrigins = addOrigins(c.derived.corsOrigins, cl.RedirectURIs)
		c.derived.formActionOrigins = addOrigins(c.derived.formActionOrigins, slices.Concat(cl.RedirectURIs, cl.PostLogoutRedirectURIs))
	}
}

func addOrigins(origins, uris []string) []string {
	for _, uri := range uris {
		if u, err := url.Parse(uri); err == nil && !slices.Contains(origins, u.Scheme+"://"+u.Host) {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	return origins
}

// Key is crypto_key's 32 bytes: it seals the signing keys and queued mail,
// encrypts codes and tokens, and signs device cookies (each use derives its
// own key from it).
func (c *Config) Key() []byte { return c.derived.key }

// SecureCookies reports whether the issuer is https: cookies are then Secure
// and __Host- named, and browsers are told to keep to https (HSTS). Only a
// development issuer on localhost is http.
func (c *Config) SecureCookies() bool { return c.derived.secureCookies }

// CORSOrigins are the origins of the relying parties' redirect URIs: a
// browser there may call the token, userinfo and key endpoints.
func (c *Config) CORSOrigins() []string { return c.derived.corsOrigins }

// FormActionOrigins are where a coopgate form's POST may end up (CSP
// form-action): the relying parties' redirect URIs, which a login's
// redirect reaches, and their post-logout URIs, which the logout
// confirmation's does.
func (c *Config) FormActionOrigins() []string { return c.derived.formActionOrigins }
