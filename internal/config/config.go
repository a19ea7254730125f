// Package config reads coopgate's YAML configuration, applies COOPGATE_*
// environment overrides for secrets, and validates the whole file at start,
// reporting every problem at once with the path of its key
// (`clients[1].redirect_uris[0]: must be an absolute https URL`; a duration
// that is not one, such as `tokens.code_lifetime: 5 minutes`, likewise).
// It also owns the values derived from the file, worked out once: the
// decoded crypto_key, whether cookies are secure, and the relying parties'
// origins for CORS and CSP. Nobody else parses the file's values again.
// It must not open connections or touch the database.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration file. Key names are a contract with the
// sysadmin's files and the docs: change them only with a migration path.
type Config struct {
	Issuer        string `yaml:"issuer" validate:"required,issuer"`
	Listen        string `yaml:"listen" validate:"required,hostname_port"`
	MetricsListen string `yaml:"metrics_listen" validate:"omitempty,hostname_port"`
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed.
	TrustedProxies []string   `yaml:"trusted_proxies" validate:"dive,cidr"`
	DatabaseURL    string     `yaml:"database_url" validate:"required"`
	CryptoKey      string     `yaml:"crypto_key" validate:"required,key32"`
	CookieSecret   string     `yaml:"cookie_secret" validate:"required,min=32"`
	Coop           Coop       `yaml:"coop"`
	SMTP           SMTP       `yaml:"smtp"`
	Admission      Admission  `yaml:"admission"`
	Clients        []Client   `yaml:"clients" validate:"unique=ID,dive"`
	Policies       Policies   `yaml:"policies"`
	Tokens         Tokens     `yaml:"tokens"`
	Keys           Keys       `yaml:"keys"`
	Log            Log        `yaml:"log"`
	Downstream     Downstream `yaml:"downstream"`
	Membership     Membership `yaml:"membership"`
	Security       Security   `yaml:"security"`

	// Dev is set by `coopgate dev`, never by the file: it allows an http
	// issuer on localhost and prints mail to the console.
	Dev bool `yaml:"-"`

	derived derived // worked out by Validate: Key, SecureCookies, the origins
}

// Coop is how the gateway presents itself.
type Coop struct {
	Name           string `yaml:"name" validate:"required"`
	LogoURL        string `yaml:"logo_url" validate:"omitempty,url"`
	PrimaryColour  string `yaml:"primary_colour" validate:"omitempty,hexcolor"`
	AccentColour   string `yaml:"accent_colour" validate:"omitempty,hexcolor"`
	SecretaryEmail string `yaml:"secretary_email" validate:"omitempty,email"`
}

// SMTP is the outgoing mail server.
type SMTP struct {
	Host     string `yaml:"host" validate:"required_unless=Console true"`
	Port     int    `yaml:"port" validate:"omitempty,min=1,max=65535"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from" validate:"required,email"`
	TLS      string `yaml:"tls" validate:"omitempty,oneof=starttls tls none"`
	// Console prints mail instead of sending it (what `coopgate dev` does).
	Console bool `yaml:"console"`
}

// Admission holds the allow-list that the config seeds; the secretary edits it later.
type Admission struct {
	AllowedEmailDomains []string `yaml:"allowed_email_domains" validate:"dive,fqdn"`
}

// Client is a relying party: Mastodon, Discourse, GitLab or another service.
type Client struct {
	ID                     string   `yaml:"id" validate:"required,printascii,excludesall=: "`
	Name                   string   `yaml:"name" validate:"required"`
	Secret                 string   `yaml:"secret"`
	SecretHash             string   `yaml:"secret_hash" validate:"omitempty,secrethash"`
	AuthMethod             string   `yaml:"auth_method" validate:"required,oneof=client_secret_basic client_secret_post none"`
	RedirectURIs           []string `yaml:"redirect_uris" validate:"required,min=1,dive,redirecturi"`
	PostLogoutRedirectURIs []string `yaml:"post_logout_redirect_uris" validate:"dive,redirecturi"`
	Scopes                 []string `yaml:"scopes" validate:"dive,oneof=openid profile email groups coop offline_access"`
	// IDTokenSignedResponseAlg is how the client's ID tokens are signed (the
	// client metadata of OpenID Connect Dynamic Client Registration §2):
	// RS256, which every relying party accepts, unless it accepts a faster one
	// (docs/integrations/ says which each service takes).
	IDTokenSignedResponseAlg string `yaml:"id_token_signed_response_alg" validate:"oneof=RS256 ES256 EdDSA"`
}

// Policies says where the co-op's policy documents are.
type Policies struct {
	// Dir replaces the policies built into the binary (policies/ in the source).
	Dir string `yaml:"dir" validate:"omitempty,dir"`
}

// Tokens are lifetimes of what the provider issues.
type Tokens struct {
	CodeLifetime         time.Duration `yaml:"code_lifetime" validate:"min=0"`
	AccessTokenLifetime  time.Duration `yaml:"access_token_lifetime" validate:"min=0"`
	IDTokenLifetime      time.Duration `yaml:"id_token_lifetime" validate:"min=0"`
	RefreshTokenLifetime time.Duration `yaml:"refresh_token_lifetime" validate:"min=0"`
	SessionLifetime      time.Duration `yaml:"session_lifetime" validate:"min=0"`
}

// Keys tune signing-key rotation.
type Keys struct {
	// PublishLead is how long a new key is published before it signs, so every
	// relying party's cached key set has it by then.
	PublishLead time.Duration `yaml:"publish_lead" validate:"min=0"`
	// RetiredFor is how long a replaced key stays published.
	RetiredFor time.Duration `yaml:"retired_for" validate:"min=0"`
}

// Security is who must use a second factor.
type Security struct {
	// RequireSecondFactor names the roles (people.roles) whose holders must
	// log in with a second factor: they cannot reach the pages of their role
	// without one, and after one login's grace are sent to enrol first.
	// Left out, it is [secretary]; [] requires it of no role.
	RequireSecondFactor []string `yaml:"require_second_factor" validate:"dive,required,printascii,excludesall= "`
}

// Log chooses the log format and level.
type Log struct {
	Format string `yaml:"format" validate:"omitempty,oneof=json text"`
	Level  string `yaml:"level" validate:"omitempty,oneof=debug info warn error"`
}

// Load reads, overrides from the environment, defaults and validates a file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, os.Getenv)
}

// Parse is Load for a file already read; getenv supplies COOPGATE_* overrides.
func Parse(b []byte, getenv func(string) string) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF: let it through to validation, which
	// then names every missing key.
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, decodeError(b, err)
	}
	c.applyEnv(getenv)
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) applyDefaults() {
	setDefault(&c.Listen, "127.0.0.1:8080")
	setDefault(&c.SMTP.TLS, "starttls")
	setDefault(&c.Log.Format, "json")
	setDefault(&c.Log.Level, "info")
	if c.SMTP.Port == 0 {
		c.SMTP.Port = map[string]int{"starttls": 587, "tls": 465, "none": 25}[c.SMTP.TLS]
	}
	c.Issuer = strings.TrimSpace(c.Issuer)
	for i := range c.Admission.AllowedEmailDomains {
		c.Admission.AllowedEmailDomains[i] = strings.ToLower(strings.TrimSpace(c.Admission.AllowedEmailDomains[i]))
	}
	for i := range c.Clients {
		if len(c.Clients[i].Scopes) == 0 {
			c.Clients[i].Scopes = []string{"openid", "profile", "email", "groups"}
		}
		setDefault(&c.Clients[i].IDTokenSignedResponseAlg, "RS256")
	}
	t := &c.Tokens
	setDuration(&t.CodeLifetime, 5*time.Minute)
	setDuration(&t.AccessTokenLifetime, time.Hour)
	setDuration(&t.IDTokenLifetime, time.Hour)
	setDuration(&t.RefreshTokenLifetime, 30*24*time.Hour)
	setDuration(&t.SessionLifetime, 14*24*time.Hour)
	setDuration(&c.Keys.PublishLead, 10*time.Minute)
	setDuration(&c.Keys.RetiredFor, 7*24*time.Hour)
	setDuration(&c.Downstream.PollInterval, 10*time.Minute)
	c.Downstream.SuspensionText = strings.TrimSpace(c.Downstream.SuspensionText)
	setDefault(&c.Downstream.SuspensionText, "Membership of the co-op ended.")
	c.Membership.applyDefaults()
	if c.Security.RequireSecondFactor == nil { // an explicit [] stays empty
		c.Security.RequireSecondFactor = []string{"secretary"}
	}
}

func setDefault(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setDuration(d *time.Duration, v time.Duration) {
	if *d == 0 {
		*d = v
	}
}

// Client returns the relying party with id, if configured.
func (c *Config) Client(id string) (Client, bool) {
	for _, cl := range c.Clients {
		if cl.ID == id {
			return cl, true
		}
	}
	return Client{}, false
}
