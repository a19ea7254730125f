package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// Error lists every problem found in a configuration.
type Error struct {
	Problems []string // "key.path: what is wrong"
}

func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "\n  ")
}

// Validate checks the whole configuration and reports every problem at once.
// A valid configuration then gets its derived values (Key, SecureCookies,
// the relying parties' origins), so a configuration changed after Parse
// (as tests do) is validated again before use.
func (c *Config) Validate() error {
	v := newValidator()
	var problems []string
	if err := v.Struct(c); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return fmt.Errorf("config: %w", err)
		}
		for _, fe := range verrs {
			problems = append(problems, keyPath(fe.Namespace())+": "+message(fe))
		}
	}
	problems = append(problems, c.crossChecks()...)
	if len(problems) > 0 {
		return &Error{Problems: problems}
	}
	c.derive()
	return nil
}

// crossChecks are the rules that span fields.
func (c *Config) crossChecks() []string {
	var problems []string
	for i, cl := range c.Clients {
		key := fmt.Sprintf("clients[%d]", i)
		hasSecret := cl.Secret != "" || cl.SecretHash != ""
		switch {
		case cl.AuthMethod == "none" && hasSecret:
			problems = append(problems, key+".secret: a client with auth_method none (a public client) has no secret")
		case cl.AuthMethod != "none" && !hasSecret:
			problems = append(problems, fmt.Sprintf("%s.secret: required (or secret_hash, or %s)", key, ClientSecretEnv(cl.ID)))
		case cl.Secret != "" && cl.SecretHash != "":
			problems = append(problems, key+".secret_hash: give secret or secret_hash, not both")
		case cl.Secret != "" && len(cl.Secret) < 16:
			problems = append(problems, key+".secret: must be at least 16 characters")
		}
	}
	return problems
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name := strings.SplitN(f.Tag.Get("yaml"), ",", 2)[0]
		if name == "-" {
			return ""
		}
		return name
	})
	must(v.RegisterValidation("issuer", func(fl validator.FieldLevel) bool { return validIssuer(fl.Field().String()) }))
	must(v.RegisterValidation("redirecturi", func(fl validator.FieldLevel) bool { return validRedirectURI(fl.Field().String()) }))
	must(v.RegisterValidation("key32", func(fl validator.FieldLevel) bool {
		b, err := base64.StdEncoding.DecodeString(fl.Field().String())
		return err == nil && len(b) == 32
	}))
	must(v.RegisterValidation("secrethash", func(fl validator.FieldLevel) bool {
		s := fl.Field().String()
		return strings.HasPrefix(s, "$argon2id$") || strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
	}))
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// keyPath turns validator's "Config.clients[1].redirect_uris[0]" into the
// key path as written in the file.
func keyPath(namespace string) string {
	_, rest, found := strings.Cut(namespace, ".")
	if !found {
		return namespace
	}
	return rest
}

func message(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "required_if", "required_unless":
		return "required"
	case "issuer":
		return "must be an absolute https URL with no path, query, fragment or trailing slash, such as https://id.example.coop (http only for localhost / 127.0.0.1)"
	case "redirecturi":
		return "must be an absolute https URL (http only for localhost / 127.0.0.1), with no fragment"
	case "key32":
		return "must be 32 random bytes, base64-encoded (e.g. `openssl rand -base64 32`)"
	case "secrethash":
		return "must be an argon2id ($argon2id$…) or bcrypt ($2a$/$2b$/$2y$…) hash"
	case "oneof":
		return "must be one of: " + fe.Param()
	case "min":
		return "must be at least " + fe.Param()
	case "max":
		return "must be at most " + fe.Param()
	case "hostname_port":
		return "must be host:port"
	case "unique":
		return "ids must be unique"
	case "fqdn":
		return "must be a domain name such as example.coop"
	case "email":
		return "must be an email address"
	case "hexcolor":
		return "must be a colour like #1a5c3a"
	case "dir":
		return "must be an existing directory"
	case "cidr":
		return "must be an address range such as 10.0.0.0/8"
	case "url":
		return "must be an absolute URL"
	case "http_url":
		return "must be an absolute http or https URL"
	case "printascii":
		return "must be printable ASCII"
	case "excludesall":
		return fmt.Sprintf("must not contain any of %q", fe.Param())
	}
	return "invalid (" + fe.Tag() + ")"
}

// validIssuer: the issuer is compared as a string by every client, so it must
// be exactly what they are configured with: no trailing slash, query or fragment.
func validIssuer(s string) bool {
	u, ok := absoluteURL(s)
	// No path either: coopgate's pages and endpoints live at the root of its host.
	return ok && u.RawQuery == "" && (u.Path == "") && u.User == nil
}

func validRedirectURI(s string) bool {
	_, ok := absoluteURL(s)
	return ok
}

func absoluteURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Fragment != "" || strings.Contains(s, "#") {
		return nil, false
	}
	switch u.Scheme {
	case "https":
		return u, true
	case "http":
		return u, IsLoopbackHost(u.Hostname())
	}
	return nil, false
}

// IsLoopbackHost reports whether host is localhost or a loopback address, the
// only places where plain http is allowed.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
