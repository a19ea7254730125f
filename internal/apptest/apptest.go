// Package apptest starts a whole coopgate for tests: the real server on a
// loopback port, on its own fresh PostgreSQL database, with mail recorded or
// sent to a test SMTP server. It also gives tests a cookie-keeping browser
// that logs in through the real forms, and an independent relying party
// (coreos/go-oidc and x/oauth2, rp.go) to log in from.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// Client secrets and ids of the relying parties every test gateway has.
const (
	ClientID     = "rp"
	ClientSecret = "rp-secret+/=&%:0123456789"   // characters Basic auth must URL-encode
	RedirectURI  = "http://127.0.0.1:9/callback" // nothing listens: tests read the code off the redirect
	PublicClient = "spa"
	PublicURI    = "http://127.0.0.1:9/spa"
	LogoutURI    = "http://127.0.0.1:9/bye"
)

// Gateway is a running coopgate.
type Gateway struct {
	URL    string
	App    *app.App
	Config *config.Config
	Logs   *strings.Builder // everything the server logged, for "no secrets in logs" checks
}

// Option changes the test gateway's configuration before it starts.
type Option func(*config.Config)

// Start runs a gateway until the test ends.
func Start(t testing.TB, opts ...Option) *Gateway {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfg := testConfig(url, ownDatabase)
	cfg.Listen = ln.Addr().String()
	for _, o := range opts {
		o(cfg)
	}
	if cfg.DatabaseURL == ownDatabase {
		cfg.DatabaseURL = pgtest.NewURL(t)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	ln.Close() // Serve listens again on the same address
	logs := &strings.Builder{}
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(logs, logSink()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		cancel()
		t.Fatalf("starting gateway: %v", err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("gateway stopped: %v", err)
	}
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return &Gateway{URL: cfg.Issuer, App: a, Config: cfg, Logs: logs}
}

// Replica starts a second gateway on g's database, as a new release (or
// another replica) would, with g's policies.
func (g *Gateway) Replica(t testing.TB) *Gateway {
	t.Helper()
	return Start(t, func(c *config.Config) {
		c.DatabaseURL = g.Config.DatabaseURL
		c.Policies = g.Config.Policies
	})
}

// Count runs a counting query on the gateway's database.
func (g *Gateway) Count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := g.App.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// NoErrorsLogged fails t if the gateway logged anything at ERROR: a client's
// mistake is logged below it, and only coopgate's own failures reach it.
func (g *Gateway) NoErrorsLogged(t testing.TB) {
	t.Helper()
	if logs := g.Logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("errors logged:\n%s", logs)
	}
}

// RequireSecondFactor makes the holders of roles log in with a second
// factor, as security.require_second_factor does (its default is
// [secretary]; test gateways otherwise require it of nobody).
func RequireSecondFactor(roles ...string) Option {
	return func(c *config.Config) { c.Security.RequireSecondFactor = roles }
}

// OnLocalhost names the gateway http://localhost:port rather than
// 127.0.0.1: passkeys need a domain name as their relying party ID.
func OnLocalhost(c *config.Config) {
	c.Issuer = strings.Replace(c.Issuer, "127.0.0.1", "localhost", 1)
}

// ownDatabase stands for "a fresh database of the test's own" until Start
// makes one, unless WithDatabase named another.
const ownDatabase = "postgres://apptest.invalid/own"

// WithDatabase runs the gateway on url instead of a fresh database: outage
// tests pass a pgtest.Outage's, whose server they can stop and start.
func WithDatabase(url string) Option {
	return func(c *config.Config) { c.DatabaseURL = url }
}

// logSink shows server logs with -v only when COOPGATE_TEST_LOGS is set.
func logSink() io.Writer {
	if os.Getenv("COOPGATE_TEST_LOGS") != "" {
		return os.Stderr
	}
	return io.Discard
}

func testConfig(issuer, dbURL string) *config.Config {
	yaml := `
issuer: ` + issuer + `
database_url: ` + dbURL + `
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op, secretary_email: secretary@example.coop}
smtp: {from: id@example.coop, console: true}
admission: {allowed_email_domains: [example.coop]}
clients:
  - id: ` + ClientID + `
    name: Relying Party
    secret: '` + ClientSecret + `'
    auth_method: client_secret_basic
    redirect_uris: [` + RedirectURI + `]
    post_logout_redirect_uris: [` + LogoutURI + `]
    scopes: [openid, profile, email, groups, coop, offline_access]
  - id: ` + PublicClient + `
    name: Browser App
    auth_method: none
    redirect_uris: [` + PublicURI + `]
    scopes: [openid, profile, email]
log: {format: json, level: debug}
# Tests of the admin pages are not about second factors; RequireSecondFactor
# puts the default (the secretary must have one) back for those that are.
security: {require_second_factor: []}
`
	cfg, err := config.Parse([]byte(yaml), func(string) string { return "" })
	if err != nil {
		panic(err)
	}
	return cfg
}

// Person is a person made directly in the database for a test.
type Person struct {
	*people.Person
	Password string
}

// CreatePerson makes a person with a verified email and the given status.
// An admitted person is enrolled through admission, as the CLI and
// `coopgate dev` do, so their service accounts are enqueued; a person in
// any other status is put straight into the database as a fixture.
func (g *Gateway) CreatePerson(t testing.TB, email, username string, status people.Status, roles ...string) Person {
	t.Helper()
	ctx := context.Background()
	pw := "password-for-" + username
	hash, err := password.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.ToUpper(username[:1]) + username[1:] + " Example"
	if status == people.Admitted {
		p, err := g.App.Admission.Enrol(ctx, admission.Enrolment{Email: email, Name: name, Username: username,
			PasswordHash: hash, Roles: append([]string{}, roles...)}, audit.Actor{Label: "test"})
		if err != nil {
			t.Fatalf("enrolling %s: %v", email, err)
		}
		return Person{Person: p, Password: pw}
	}
	var p *people.Person
	err = database.InTx(ctx, g.App.Pool, func(tx pgx.Tx) error {
		p, err = people.Create(ctx, tx, people.New{Email: email, Name: name, Username: username, PasswordHash: hash, Status: status, EmailVerified: true, Roles: append([]string{}, roles...)})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Label: "test"}, audit.Event{Action: "person.create", SubjectType: "person", SubjectID: p.ID})
	})
	if err != nil {
		t.Fatalf("creating %s: %v", email, err)
	}
	return Person{Person: p, Password: pw}
}

// AcceptAllPolicies records acceptance of every current policy for p, so a
// test that is not about terms can log in straight through.
func (g *Gateway) AcceptAllPolicies(t testing.TB, personID string) {
	t.Helper()
	_, err := g.App.Pool.Exec(context.Background(), `
		INSERT INTO policy_acceptances (person_id, policy_id, version, sha256)
		SELECT $1, policy_id, version, sha256 FROM policy_versions`, personID)
	if err != nil {
		t.Fatal(err)
	}
}

// Browser is an HTTP client with cookies that does not follow redirects, so
// a test sees each step.
func Browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
