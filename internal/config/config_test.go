package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

const validYAML = `
issuer: https://id.example.coop
database_url: postgres://localhost/coopgate
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: 0123456789abcdef0123456789abcdef
coop: {name: Example Co-op}
smtp: {host: smtp.example.coop, from: id@example.coop}
clients:
  - id: mastodon
    name: Mastodon
    secret: a-long-enough-secret
    auth_method: client_secret_basic
    redirect_uris: [https://social.example.coop/auth/auth/openid_connect/callback]
`

func noEnv(string) string { return "" }

func TestParseValidAppliesDefaults(t *testing.T) {
	c, err := Parse([]byte(validYAML), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.SMTP.Port != 587 || c.SMTP.TLS != "starttls" || c.Listen != "127.0.0.1:8080" {
		t.Errorf("defaults not applied: %+v %q", c.SMTP, c.Listen)
	}
	if c.Tokens.CodeLifetime == 0 || c.Keys.PublishLead == 0 || c.Downstream.PollInterval != 10*time.Minute {
		t.Error("duration defaults not applied")
	}
	if got := c.Clients[0].IDTokenSignedResponseAlg; got != "RS256" {
		t.Errorf("id_token_signed_response_alg defaults to %q; want RS256, which every relying party accepts", got)
	}
	if c.Downstream.SuspensionText != "Membership of the co-op ended." {
		t.Errorf("suspension text %q; want the neutral default", c.Downstream.SuspensionText)
	}
}

func TestExampleFileIsValidOnceSecretsAreSet(t *testing.T) {
	b, err := os.ReadFile("../../coopgate.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"COOPGATE_CRYPTO_KEY":              "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
		"COOPGATE_COOKIE_SECRET":           "0123456789abcdef0123456789abcdef",
		"COOPGATE_CLIENT_MASTODON_SECRET":  "mastodon-secret-0123",
		"COOPGATE_CLIENT_DISCOURSE_SECRET": "discourse-secret-0123",
		"COOPGATE_CLIENT_GITLAB_SECRET":    "gitlab-secret-012345",
	}
	if _, err := Parse(b, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
}

func TestParseNamesEveryBadKey(t *testing.T) {
	tests := []struct {
		name, replace, with string
		want                []string
	}{
		{"http issuer elsewhere", "https://id.example.coop", "http://id.example.coop", []string{"issuer: must be an absolute https URL"}},
		{"trailing slash", "https://id.example.coop", "https://id.example.coop/", []string{"issuer: "}},
		{"http redirect", "https://social.example.coop/auth", "http://social.example.coop/auth", []string{"clients[0].redirect_uris[0]: must be an absolute https URL"}},
		{"fragment redirect", "openid_connect/callback", "openid_connect/callback#x", []string{"clients[0].redirect_uris[0]"}},
		{"bad key", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", "c2hvcnQ=", []string{"crypto_key: must be 32 random bytes"}},
		{"auth method", "client_secret_basic", "client_secret_jwt", []string{"clients[0].auth_method: must be one of"}},
		{"public with secret", "client_secret_basic", "none", []string{"clients[0].secret: a client with auth_method none"}},
		{"missing secret", "secret: a-long-enough-secret", "secret: ''", []string{"clients[0].secret: required (or secret_hash, or COOPGATE_CLIENT_MASTODON_SECRET)"}},
		{"two problems", "name: Example Co-op", "name: ''", []string{"coop.name: required"}},
		{"poll interval not a duration", "smtp: {", "downstream: {poll_interval: banana}\nsmtp: {",
			[]string{"downstream.poll_interval: must be a duration such as 90s, 10m or 24h (line 7)"}},
		{"poll interval too short", "smtp: {", "downstream: {poll_interval: 30s}\nsmtp: {", []string{"downstream.poll_interval: must be at least 1m"}},
		{"ID token algorithm op does not offer", "auth_method: client_secret_basic", "auth_method: client_secret_basic\n    id_token_signed_response_alg: HS256",
			[]string{"clients[0].id_token_signed_response_alg: must be one of: RS256 ES256 EdDSA"}},
		{"ID token algorithm in lower case", "auth_method: client_secret_basic", "auth_method: client_secret_basic\n    id_token_signed_response_alg: es256",
			[]string{"clients[0].id_token_signed_response_alg: must be one of"}},
		{"a lifetime not a duration", "smtp: {", "tokens:\n  code_lifetime: 5 minutes\nsmtp: {",
			[]string{"tokens.code_lifetime: must be a duration"}},
		{"an empty role", "smtp: {", "security: {require_second_factor: [secretary, '']}\nsmtp: {",
			[]string{"security.require_second_factor[1]: required"}},
		{"a role with a space", "smtp: {", "security: {require_second_factor: ['member secretary']}\nsmtp: {",
			[]string{"security.require_second_factor[0]: must not contain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(validYAML, tt.replace, tt.with, 1)
			_, err := Parse([]byte(src), noEnv)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEachIDTokenAlgorithmIsAccepted(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		src := strings.Replace(validYAML, "auth_method: client_secret_basic", "auth_method: client_secret_basic\n    id_token_signed_response_alg: "+alg, 1)
		c, err := Parse([]byte(src), noEnv)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if got := c.Clients[0].IDTokenSignedResponseAlg; got != alg {
			t.Errorf("%s read as %q", alg, got)
		}
	}
}

// TestSecondFactorRoles: left out, the secretary must use a second factor;
// the sysadmin may name other roles, or none with an explicit [].
func TestSecondFactorRoles(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []string
	}{
		{"left out", "", []string{"secretary"}},
		{"named", "security: {require_second_factor: [secretary, moderator]}\n", []string{"secretary", "moderator"}},
		{"none", "security: {require_second_factor: []}\n", []string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(validYAML+tt.yaml), noEnv)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Security.RequireSecondFactor; len(got) != len(tt.want) || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("require_second_factor = %q; want %q", got, tt.want)
			}
		})
	}
}

func TestParseReportsAllProblemsAtOnce(t *testing.T) {
	_, err := Parse([]byte("coop: {name: X}\n"), noEnv)
	var cfgErr *Error
	if err == nil || !asError(err, &cfgErr) {
		t.Fatalf("err = %v", err)
	}
	for _, key := range []string{"issuer:", "database_url:", "crypto_key:", "cookie_secret:", "smtp.from:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("missing %s in %v", key, err)
		}
	}
}

func TestUnknownKeyIsRefusedWithItsLine(t *testing.T) {
	_, err := Parse([]byte(validYAML+"colour: red\n"), noEnv)
	if err == nil || !strings.Contains(err.Error(), "colour") || !strings.Contains(err.Error(), "line") {
		t.Fatalf("err = %v", err)
	}
}

func TestEnvironmentOverridesSecrets(t *testing.T) {
	env := map[string]string{"COOPGATE_CLIENT_MASTODON_SECRET": "from-the-environment", "COOPGATE_DATABASE_URL": "postgres://db/x"}
	c, err := Parse([]byte(validYAML), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Clients[0].Secret != "from-the-environment" || c.DatabaseURL != "postgres://db/x" {
		t.Errorf("env not applied: %q %q", c.Clients[0].Secret, c.DatabaseURL)
	}
}

func TestClientSecretEnv(t *testing.T) {
	if got := ClientSecretEnv("git-coop.2"); got != "COOPGATE_CLIENT_GIT_COOP_2_SECRET" {
		t.Errorf("got %s", got)
	}
}

func asError(err error, target **Error) bool {
	e, ok := err.(*Error)
	*target = e
	return ok
}

// TestDerivedValues: the values other packages used to work out for
// themselves come from the validated file, once.
func TestDerivedValues(t *testing.T) {
	src := strings.Replace(validYAML, "    redirect_uris: [https://social.example.coop/auth/auth/openid_connect/callback]\n", `    redirect_uris: [https://social.example.coop/auth/auth/openid_connect/callback]
    post_logout_redirect_uris: [https://social.example.coop/]
  - id: discourse
    name: Discourse
    secret: another-long-enough-secret
    auth_method: client_secret_basic
    redirect_uris: [https://forum.example.coop/auth/oidc/callback]
    post_logout_redirect_uris: [https://www.example.coop/bye]
`, 1)
	c, err := Parse([]byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Key()) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("Key = %q; want crypto_key decoded", c.Key())
	}
	if !c.SecureCookies() {
		t.Error("an https issuer without secure cookies")
	}
	if got, want := strings.Join(c.CORSOrigins(), " "), "https://social.example.coop https://forum.example.coop"; got != want {
		t.Errorf("CORSOrigins = %q, want %q (the redirect URIs' origins)", got, want)
	}
	// The logout confirmation's POST ends in a redirect to a post-logout
	// URI, which CSP's form-action governs as it governs the login's.
	if got, want := strings.Join(c.FormActionOrigins(), " "), "https://social.example.coop https://forum.example.coop https://www.example.coop"; got != want {
		t.Errorf("FormActionOrigins = %q, want %q", got, want)
	}

	local, err := Parse([]byte(strings.Replace(validYAML, "https://id.example.coop", "http://127.0.0.1:8080", 1)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if local.SecureCookies() {
		t.Error("secure cookies on an http issuer: the browser would never send them back")
	}
}

// TestEveryDurationIsCheckedByItsKey: each duration in the file is a
// time.Duration, and a value that is not one, or is negative, is reported
// by its key.
func TestEveryDurationIsCheckedByItsKey(t *testing.T) {
	keys := []struct{ section, key string }{
		{"tokens", "code_lifetime"}, {"tokens", "access_token_lifetime"}, {"tokens", "id_token_lifetime"},
		{"tokens", "refresh_token_lifetime"}, {"tokens", "session_lifetime"},
		{"keys", "publish_lead"}, {"keys", "retired_for"}, {"downstream", "poll_interval"},
	}
	for _, k := range keys {
		name := k.section + "." + k.key
		for value, want := range map[string]string{
			"banana": name + ": must be a duration such as 90s, 10m or 24h",
			"300":    name + ": must be a duration such as 90s, 10m or 24h", // seconds? minutes? say which
			"-5m":    name + ": must be at least ",
		} {
			t.Run(name+"="+value, func(t *testing.T) {
				_, err := Parse([]byte(validYAML+k.section+":\n  "+k.key+": "+value+"\n"), noEnv)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v; want %q", err, want)
				}
			})
		}
	}
}
