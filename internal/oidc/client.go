package oidc

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/crypto/bcrypt"

	"github.com/coopgate/coopgate/internal/config"
)

// Client is a relying party from the config file.
type Client struct {
	cfg      config.Client
	loginURL string // the login page, absolute
	idTTL    time.Duration
}

var _ op.Client = (*Client)(nil)

func newClient(cfg config.Client, issuer string, idTTL time.Duration) *Client {
	return &Client{cfg: cfg, loginURL: issuer + "/login?id=", idTTL: idTTL}
}

// Name is the relying party's display name.
func (c *Client) Name() string { return c.cfg.Name }

func (c *Client) GetID() string                    { return c.cfg.ID }
func (c *Client) RedirectURIs() []string           { return c.cfg.RedirectURIs }
func (c *Client) PostLogoutRedirectURIs() []string { return c.cfg.PostLogoutRedirectURIs }
func (c *Client) LoginURL(id string) string        { return c.loginURL + id }
func (c *Client) AccessTokenType() op.AccessTokenType {
	return op.AccessTokenTypeBearer
}
func (c *Client) IDTokenLifetime() time.Duration { return c.idTTL }

// IDTokenAlgorithm is what the client's ID tokens are signed with.
func (c *Client) IDTokenAlgorithm() jose.SignatureAlgorithm {
	if c.cfg.IDTokenSignedResponseAlg == "" {
		return jose.RS256
	}
	return jose.SignatureAlgorithm(c.cfg.IDTokenSignedResponseAlg)
}

// DevMode lets op accept an http redirect URI. config allows http only for
// loopback hosts (a native or test client), so this admits nothing else.
func (c *Client) DevMode() bool            { return true }
func (c *Client) ClockSkew() time.Duration { return 0 }

// IDTokenUserinfoClaimsAssertion puts the profile and email claims in the ID
// token as well as at userinfo: Discourse reads them from the ID token.
func (c *Client) IDTokenUserinfoClaimsAssertion() bool { return true }

func (c *Client) ApplicationType() op.ApplicationType {
	if c.cfg.AuthMethod == "none" {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}

func (c *Client) AuthMethod() oidc.AuthMethod {
	switch c.cfg.AuthMethod {
	case "client_secret_post":
		return oidc.AuthMethodPost
	case "none":
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *Client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *Client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c *Client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return c.allowedScopes
}

func (c *Client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return c.allowedScopes
}

func (c *Client) allowedScopes(scopes []string) []string {
	return slices.DeleteFunc(slices.Clone(scopes), func(s string) bool { return !c.IsScopeAllowed(s) })
}

// IsScopeAllowed limits a relying party to the scopes its config lists.
func (c *Client) IsScopeAllowed(scope string) bool {
	return slices.Contains(c.cfg.Scopes, scope) || scope == oidc.ScopeOpenID
}

// checkSecret compares in constant time, or verifies against the configured hash.
func (c *Client) checkSecret(secret string) bool {
	if c.cfg.Secret != "" {
		a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(c.cfg.Secret))
		return subtle.ConstantTimeCompare(a[:], b[:]) == 1
	}
	if strings.HasPrefix(c.cfg.SecretHash, "$argon2id$") {
		ok, err := argon2id.ComparePasswordAndHash(secret, c.cfg.SecretHash)
		return err == nil && ok
	}
	return bcrypt.CompareHashAndPassword([]byte(c.cfg.SecretHash), []byte(secret)) == nil
}
