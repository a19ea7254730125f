// Package dev runs `coopgate dev`: a demo gateway for a newcomer, with its own
// PostgreSQL cluster (the system's binaries, data under .dev/ in the working
// folder, kept across restarts), a demo configuration written once with fresh
// secrets, mail printed to the console, a first secretary, and a sample
// relying party to log in to. Nothing here is used by `coopgate serve`.
package dev

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/app"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/devrp"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgcluster"
)

// Options are `coopgate dev`'s flags.
type Options struct {
	DataDir  string // default .dev
	Listen   string // default 127.0.0.1:8080
	RPListen string // the sample relying party; default 127.0.0.1:8081
	Out      io.Writer
}

// Run starts everything and serves until ctx ends.
func Run(ctx context.Context, o Options) error {
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	pgDir, note, err := pgcluster.ReachableDir(filepath.Join(dir, "pg"))
	if err != nil {
		return err
	}
	if note != "" {
		fmt.Fprintf(o.Out, "coopgate dev: %s\n", note)
	}
	cluster, err := pgcluster.Start(ctx, pgDir, pgcluster.Options{Durable: true})
	if err != nil {
		return err
	}
	defer cluster.Stop()
	if err := ensureDatabase(ctx, cluster); err != nil {
		return err
	}
	cfg, err := demoConfig(dir, cluster.URL("coopgate"), o)
	if err != nil {
		return err
	}
	log := app.NewLogger(cfg.Log)
	slog.SetDefault(log) // op logs through slog's default logger: one stream, one format
	a, err := app.New(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	secretaryPW, err := ensureSecretary(ctx, a, dir)
	if err != nil {
		return err
	}
	rp, err := startRP(ctx, cfg, o.RPListen)
	if err != nil {
		return err
	}
	return a.Serve(ctx, func(addr string) { welcome(o.Out, cfg, rp, secretaryPW, dir) })
}

func ensureDatabase(ctx context.Context, c *pgcluster.Cluster) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'coopgate')").Scan(&exists); err != nil || exists {
		return err
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE coopgate")
	return err
}

var configTemplate = template.Must(template.New("cfg").Parse(`# Written by coopgate dev on first start; edit freely. Delete .dev/ to start over.
issuer: http://localhost:{{.Port}}
listen: {{.Listen}}
database_url: {{.DatabaseURL}}
crypto_key: {{.CryptoKey}}
cookie_secret: {{.CookieSecret}}
coop:
  name: Demo Co-op
  primary_colour: "#1a5c3a"
  accent_colour: "#f2b134"
  secretary_email: secretary@example.coop
smtp:
  from: id@example.coop
  console: true
admission:
  allowed_email_domains: [example.coop]
clients:
  - id: demo
    name: Sample service
    secret: {{.ClientSecret}}
    auth_method: client_secret_basic
    redirect_uris: [http://localhost:{{.RPPort}}/callback]
    post_logout_redirect_uris: [http://localhost:{{.RPPort}}/]
    scopes: [openid, profile, email, groups, coop]
log:
  format: text
  level: info
`))

// demoConfig writes .dev/coopgate.yaml once, with secrets of its own.
func demoConfig(dir, dbURL string, o Options) (*config.Config, error) {
	path := filepath.Join(dir, "coopgate.yaml")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := writeConfig(path, dbURL, o); err != nil {
			return nil, err
		}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Dev = true
	cfg.SMTP.Console = true
	return cfg, nil
}

func writeConfig(path, dbURL string, o Options) error {
	_, port, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	_, rpPort, err := net.SplitHostPort(o.RPListen)
	if err != nil {
		return fmt.Errorf("--rp-listen: %w", err)
	}
	var b strings.Builder
	err = configTemplate.Execute(&b, map[string]string{
		"Port": port, "Listen": o.Listen, "DatabaseURL": dbURL, "RPPort": rpPort,
		"CryptoKey": secret(32), "CookieSecret": secret(32), "ClientSecret": secret(24),
	})
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func secret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

const secretaryEmail = "secretary@example.coop"

// ensureSecretary creates the demo secretary once; the password is kept in
// .dev/ so it can be printed at every start.
func ensureSecretary(ctx context.Context, a *app.App, dir string) (string, error) {
	pwFile := filepath.Join(dir, "secretary-password")
	if b, err := os.ReadFile(pwFile); err == nil {
		if _, err := people.ByEmail(ctx, a.Pool, secretaryEmail); err == nil {
			return strings.TrimSpace(string(b)), nil
		}
	}
	pw := base64.RawURLEncoding.EncodeToString([]byte(secret(12)))[:16]
	hash, err := password.Hash(ctx, pw)
	if err != nil {
		return "", err
	}
	_, err = a.Admission.Enrol(ctx, admission.Enrolment{Email: secretaryEmail, Name: "Sam Secretary", Username: "secretary",
		PasswordHash: hash, Roles: []string{people.RoleSecretary}}, audit.Actor{Label: "dev"})
	if err != nil {
		return "", fmt.Errorf("creating the demo secretary: %w", err)
	}
	return pw, os.WriteFile(pwFile, []byte(pw+"\n"), 0o600)
}

func startRP(ctx context.Context, cfg *config.Config, listen string) (string, error) {
	c, ok := cfg.Client("demo")
	if !ok || len(c.RedirectURIs) == 0 {
		return "", nil // the sysadmin removed the demo client
	}
	base := strings.TrimSuffix(c.RedirectURIs[0], "/callback")
	rp := &devrp.RP{Issuer: cfg.Issuer, ClientID: c.ID, ClientSecret: c.Secret, BaseURL: base, Scopes: c.Scopes}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return "", fmt.Errorf("sample relying party: %w", err)
	}
	srv := &http.Server{Handler: rp.Handler(), ReadHeaderTimeout: 10e9}
	go func() { _ = srv.Serve(ln) }()
	go func() { <-ctx.Done(); _ = srv.Close() }()
	return base, nil
}

func welcome(w io.Writer, cfg *config.Config, rp, pw, dir string) {
	fmt.Fprintf(w, `
  coopgate dev is running (data in %s)

    Gateway:           %s
    Discovery:         %s/.well-known/openid-configuration
    Sample service:    %s   (log in there to try single sign-on)
    Mail:              printed below, and at %s/dev/mail
    Secretary login:   %s  /  %s   (admin pages at %s/admin)

  Sign up with an @example.coop address to be admitted at once; any other
  address waits for the secretary's approval. Ctrl-C stops it.

`, dir, cfg.Issuer, cfg.Issuer, rp, cfg.Issuer, secretaryEmail, pw, cfg.Issuer)
}
