package seed

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// migrated writes a configuration for a fresh migrated database, as
// internal/bench has `coopgate migrate` leave it, and returns its path and
// the database's URL.
func migrated(t *testing.T) (string, string) {
	t.Helper()
	url := pgtest.NewURL(t)
	yaml := `issuer: http://127.0.0.1:9
database_url: ` + url + `
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op, secretary_email: secretary@example.coop}
smtp: {from: id@example.coop, console: true}
`
	path := filepath.Join(t.TempDir(), "coopgate.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := database.Migrate(context.Background(), pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return path, url
}

func run(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	err := Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func countRows(t *testing.T, url, sql string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedFillsAThrowawayDatabaseOnly(t *testing.T) {
	path, url := migrated(t)
	out, errOut, err := run("--config", path, "--people", "5", "--tokens", "10")
	if err != nil || !strings.Contains(out, "seeded 5 people and 10 tokens") || !strings.Contains(out, "bench-note: argon2id password check") {
		t.Fatalf("seed: %v\n%s\n%s", err, out, errOut)
	}
	for sql, want := range map[string]int{
		`SELECT count(*) FROM people WHERE status = 'admitted' AND email LIKE 'bench%@bench.test' AND email_verified_at IS NOT NULL`: 5,
		`SELECT count(*) FROM people WHERE email = 'bench4@bench.test' AND username = 'bench4'`:                                      1,
		`SELECT count(*) FROM oidc_access_tokens WHERE expires_at > now()`:                                                           5,
		`SELECT count(*) FROM oidc_refresh_tokens WHERE expires_at > now()`:                                                          5,
		// Everyone accepted every policy, so logins pass the terms gate.
		`SELECT count(*) FROM people p CROSS JOIN policy_versions v WHERE NOT EXISTS (
			SELECT FROM policy_acceptances a WHERE a.person_id = p.id AND a.policy_id = v.policy_id
			AND a.version = v.version AND a.sha256 = v.sha256)`: 0,
	} {
		if got := countRows(t, url, sql); got != want {
			t.Errorf("%s: %d, want %d", sql, got, want)
		}
	}
	if _, _, err := run("--config", path, "--people", "5"); err == nil || !strings.Contains(err.Error(), "seeded already") {
		t.Errorf("seeding twice: %v", err)
	}
}

// TestSeedLeavesEmptyTablesUnanalyzed: the token and auth request tables it
// did not fill keep no statistics, so the server's cached plans look tokens
// up by index as the tables grow during a run, instead of scanning tables
// the statistics would call empty.
func TestSeedLeavesEmptyTablesUnanalyzed(t *testing.T) {
	path, url := migrated(t)
	if out, errOut, err := run("--config", path, "--people", "20"); err != nil {
		t.Fatalf("seed: %v\n%s\n%s", err, out, errOut)
	}
	for table, analyzed := range map[string]bool{"people": true, "policy_acceptances": true,
		"oidc_refresh_tokens": false, "oidc_access_tokens": false, "oidc_auth_requests": false, "web_sessions": false} {
		got := countRows(t, url, `SELECT count(*) FROM pg_class WHERE relname = '`+table+`' AND reltuples >= 0`) == 1
		if got != analyzed {
			t.Errorf("%s analyzed: %v; want %v", table, got, analyzed)
		}
	}
}

func TestSeedRefusesADatabaseWithRealPeople(t *testing.T) {
	path, url := migrated(t)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO people (email, name, username, password_hash, status)
		VALUES ('ann@example.coop', 'Ann', 'ann', 'x', 'admitted')`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run("--config", path, "--people", "5"); err == nil || !strings.Contains(err.Error(), "not benchmark accounts") {
		t.Errorf("seed on a real database: %v", err)
	}
	if got := countRows(t, url, `SELECT count(*) FROM people`); got != 1 {
		t.Errorf("%d people after a refused seeding; want 1", got)
	}
}
