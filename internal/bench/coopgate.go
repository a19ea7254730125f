package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/pgcluster"
)

// coopgateLoginAccounts is how many of the seeded people the load signs in
// as, spread evenly over the whole table (64, like the peer's accounts).
const coopgateLoginAccounts = 64

// benchPassword is every seeded person's password (`coopgate-bench seed`).
const benchPassword = "bench-password-0123456789"

// Coopgate is the coopgate server, built from the source in Dir and run on a
// private PostgreSQL cluster seeded by `coopgate-bench seed`. Only starting
// it touches coopgate's code: the binary migrates its database, this
// command's seed subcommand (internal/bench/seed) fills it and
// internal/pgcluster runs it; the load sees it only through HTTP.
type Coopgate struct {
	Dir     string // the module root, where ./cmd/coopgate is
	Binary  string // a coopgate binary to run instead of building one from Dir
	People  int    // people to seed
	Tokens  int    // extra live tokens to seed
	Durable bool   // PostgreSQL with fsync and synchronous commit
	Alg     string // the client's id_token_signed_response_alg; empty: RS256
	Pin     Pinning
	Log     io.Writer

	tmp         string
	cluster     *pgcluster.Cluster
	proc        *serverProcess
	metricsAddr string
	notes       []string
}

func (c *Coopgate) Name() string { return "coopgate" }

// Start builds the binary, starts and seeds the database (all untimed) and
// then launches `coopgate serve`, pinned like the peer.
func (c *Coopgate) Start(ctx context.Context) (string, int, error) {
	var err error
	if c.tmp, err = os.MkdirTemp("", "coopgate-bench-"); err != nil {
		return "", 0, err
	}
	// PostgreSQL runs as the postgres user when we are root: it must reach
	// its data folder inside.
	if err := os.Chmod(c.tmp, 0o755); err != nil {
		return "", 0, err
	}
	bin, err := c.binary(ctx)
	if err != nil {
		return "", 0, err
	}
	cfgPath, base, err := c.prepareDatabase(ctx)
	if err != nil {
		return "", 0, err
	}
	if err := c.run(ctx, c.tmp, bin, "migrate", "--config", cfgPath); err != nil {
		return "", 0, fmt.Errorf("coopgate: migrate: %w", err)
	}
	// This very command seeds (cmd/coopgate-bench seed), pinned like the
	// server: it also times a password check for the report.
	self, err := os.Executable()
	if err != nil {
		return "", 0, err
	}
	seed := c.Pin.serverArgv([]string{self, "seed", "--config", cfgPath,
		"--people", strconv.Itoa(c.People), "--tokens", strconv.Itoa(c.Tokens)})
	if err := c.run(ctx, c.tmp, seed[0], seed[1:]...); err != nil {
		return "", 0, fmt.Errorf("coopgate: seed: %w", err)
	}
	// A bulk load leaves the kernel dirty pages (fsync is off) that it would
	// write out during the first scenarios: write them out now, untimed.
	syncDisks()
	// GOMAXPROCS as the runtime picks it from the pinned CPU set: one.
	proc, err := startServer(c.tmp, nil, c.Pin, c.Log, "coopgate", bin, "serve", "--config", cfgPath)
	if err != nil {
		return "", 0, fmt.Errorf("coopgate: %w", err)
	}
	c.proc = proc
	return base, proc.PID(), nil
}

// binary builds a release binary from the source in Dir, unless Binary
// names one built already.
func (c *Coopgate) binary(ctx context.Context) (string, error) {
	if c.Binary != "" {
		return filepath.Abs(c.Binary)
	}
	bin := filepath.Join(c.tmp, "coopgate")
	if err := c.run(ctx, c.Dir, "go", "build", "-trimpath", "-o", bin, "./cmd/coopgate"); err != nil {
		return "", fmt.Errorf("coopgate: build: %w", err)
	}
	return bin, nil
}

// prepareDatabase starts PostgreSQL (pinned with the server, so that the
// two share one CPU as the peer and its in-memory store do), creates the
// database and writes the configuration. It returns the config's path and
// the issuer.
func (c *Coopgate) prepareDatabase(ctx context.Context) (string, string, error) {
	var err error
	c.cluster, err = pgcluster.Start(ctx, filepath.Join(c.tmp, "pg"), pgcluster.Options{Durable: c.Durable})
	if err != nil {
		return "", "", fmt.Errorf("coopgate: %w", err)
	}
	if err := pinPostgres(c.cluster.Dir, c.Pin); err != nil {
		return "", "", fmt.Errorf("coopgate: %w", err)
	}
	if err := createDatabase(ctx, c.cluster.URL("postgres"), "coopgate"); err != nil {
		return "", "", fmt.Errorf("coopgate: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return "", "", err
	}
	metricsPort, err := freePort()
	if err != nil {
		return "", "", err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	c.metricsAddr = "127.0.0.1:" + strconv.Itoa(metricsPort)
	path := filepath.Join(c.tmp, "coopgate.yaml")
	yaml := coopgateConfig(base, c.metricsAddr, c.cluster.URL("coopgate"), c.alg())
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		return "", "", err
	}
	c.notes = append(c.notes, c.describe()...)
	return path, base, nil
}

func createDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}

func (c *Coopgate) alg() string {
	if c.Alg == "" {
		return "RS256"
	}
	return c.Alg
}

// coopgateConfig is the server's configuration: the peer's client, its ID
// tokens signed with alg, quiet logs (an access-log line per request would
// be measured too), metrics (and pprof) on a listener of their own.
func coopgateConfig(issuer, metricsAddr, dbURL, alg string) string {
	bc := benchClient()
	listen := strings.TrimPrefix(issuer, "http://")
	return `issuer: ` + issuer + `
listen: ` + listen + `
metrics_listen: ` + metricsAddr + `
database_url: ` + dbURL + `
crypto_key: ` + secret(32) + `
cookie_secret: ` + secret(32) + `
coop: {name: Bench Co-op, secretary_email: secretary@bench.test}
smtp: {from: id@bench.test, console: true}
clients:
  - id: ` + bc.ID + `
    name: Bench relying party
    secret: '` + bc.Secret + `'
    auth_method: client_secret_basic
    redirect_uris: [` + bc.RedirectURI + `]
    scopes: [openid, profile, email, offline_access]
` + algLine(alg) + `log: {format: text, level: warn}
`
}

// algLine sets the client's ID token algorithm, unless it is the default:
// a build from before the setting existed (-coopgate-bin) then still takes
// the configuration, for RS256.
func algLine(alg string) string {
	if alg == "RS256" {
		return ""
	}
	return "    id_token_signed_response_alg: " + alg + "\n"
}

func secret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.StdEncoding.EncodeToString(b)
}

// run runs a setup command, its output to the log but for bench-note
// lines, which go to the report.
func (c *Coopgate) run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &prefixWriter{w: c.Log, prefix: "coopgate setup| "}
	err := cmd.Run()
	for line := range strings.Lines(out.String()) {
		line = strings.TrimRight(line, "\n")
		if note, ok := strings.CutPrefix(line, notePrefix); ok {
			c.notes = append(c.notes, note)
			continue
		}
		fmt.Fprintf(c.Log, "coopgate setup| %s\n", line)
	}
	return err
}

func (c *Coopgate) describe() []string {
	durability := "fsync and synchronous_commit off (a throwaway cluster: every token is written, but not flushed to disk)"
	if c.Durable {
		durability = "durable (fsync on, synchronous_commit on)"
	}
	pin := "unpinned"
	if c.Pin.Enabled {
		pin = "pinned with the server to CPU " + strconv.Itoa(c.Pin.ServerCPU)
	}
	return []string{
		fmt.Sprintf("PostgreSQL (private cluster) %s, %s; its memory is not in coopgate's RSS", pin, durability),
		fmt.Sprintf("seeded with %d admitted people and %d further live tokens; the load signs in as %d of them, spread over the table",
			c.People, c.Tokens, min(c.People, coopgateLoginAccounts)),
		"the client asks for offline_access: coopgate issues a refresh token only then, the peer always, so both issue one per code grant",
		"ID tokens signed with " + c.alg() + " (id_token_signed_response_alg)",
	}
}

// HelperPIDs is the database server: its CPU time is part of each request's.
func (c *Coopgate) HelperPIDs() []int {
	if c.cluster == nil {
		return nil
	}
	pid, err := postmasterPID(c.cluster.Dir)
	if err != nil {
		return nil
	}
	return []int{pid}
}

// Notes are the setup facts the report must state.
func (c *Coopgate) Notes() []string { return c.notes }

// ProfileURL is the CPU profile endpoint on the private metrics listener.
func (c *Coopgate) ProfileURL() string {
	if c.metricsAddr == "" {
		return ""
	}
	return "http://" + c.metricsAddr + "/debug/pprof/profile"
}

// Stop stops the server, then its database, and removes their files.
func (c *Coopgate) Stop() error {
	var errs []error
	if c.proc != nil {
		errs = append(errs, c.proc.Stop())
	}
	if c.cluster != nil {
		c.cluster.Stop()
	}
	if c.tmp != "" {
		errs = append(errs, os.RemoveAll(c.tmp))
	}
	return errors.Join(errs...)
}

// Login drives coopgate's login page (web/templates/login/login.html): the
// first form POSTs email and password with the hidden csrf_token and id,
// which browse copies back; a signed-in session passes authorize without a
// form, which minting codes relies on.
func (c *Coopgate) Login(ctx context.Context, hc *http.Client, authorizeURL string, who Account) (*url.URL, error) {
	f := loginForm{UsernameField: "email", PasswordField: "password"}
	return browse(ctx, hc, authorizeURL, f, who)
}

// Account i is one of coopgateLoginAccounts people spread evenly over the
// seeded ones, so that with many people the load does not touch only the
// first rows of each index.
func (c *Coopgate) Account(i int) Account { return c.Member(i, coopgateLoginAccounts) }

// Member i of n different people, spread evenly over the seeded ones.
func (c *Coopgate) Member(i, n int) Account {
	n = min(max(c.People, 1), n)
	stride := max(c.People/n, 1)
	return Account{
		Username: "bench" + strconv.Itoa((i%n)*stride) + "@bench.test",
		Password: benchPassword,
	}
}

// Client is the peer's relying party, asking for offline_access as well:
// see describe.
func (c *Coopgate) Client() Client {
	bc := benchClient()
	bc.Scope += " offline_access"
	return bc
}
