package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestBenchSeedFillsAThrowawayDatabaseOnly(t *testing.T) {
	path, url := testConfig(t)
	if code, _, errOut := run(t, "migrate", "--config", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	code, out, errOut := run(t, "bench-seed", "--config", path, "--people", "5", "--tokens", "10")
	if code != 0 || !strings.Contains(out, "seeded 5 people and 10 tokens") || !strings.Contains(out, "bench-note: argon2id password check") {
		t.Fatalf("bench-seed: %d\n%s\n%s", code, out, errOut)
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
	if code, _, errOut := run(t, "bench-seed", "--config", path, "--people", "5"); code == 0 || !strings.Contains(errOut, "seeded already") {
		t.Errorf("seeding twice: %d %s", code, errOut)
	}
	if _, out, _ := run(t, "help"); strings.Contains(out, "bench-seed") {
		t.Errorf("help lists the hidden bench-seed:\n%s", out)
	}
}

// TestBenchSeedLeavesEmptyTablesUnanalyzed: the token and auth request
// tables it did not fill keep no statistics, so the server's cached plans
// look tokens up by index as the tables grow during a run, instead of
// scanning tables the statistics would call empty.
func TestBenchSeedLeavesEmptyTablesUnanalyzed(t *testing.T) {
	path, url := testConfig(t)
	if code, _, errOut := run(t, "migrate", "--config", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if code, out, errOut := run(t, "bench-seed", "--config", path, "--people", "20"); code != 0 {
		t.Fatalf("bench-seed: %d\n%s\n%s", code, out, errOut)
	}
	for table, analyzed := range map[string]bool{"people": true, "policy_acceptances": true,
		"oidc_refresh_tokens": false, "oidc_access_tokens": false, "oidc_auth_requests": false, "web_sessions": false} {
		got := countRows(t, url, `SELECT count(*) FROM pg_class WHERE relname = '`+table+`' AND reltuples >= 0`) == 1
		if got != analyzed {
			t.Errorf("%s analyzed: %v; want %v", table, got, analyzed)
		}
	}
}

func TestBenchSeedRefusesADatabaseWithRealPeople(t *testing.T) {
	path, url := testConfig(t)
	if code, _, errOut := run(t, "migrate", "--config", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO people (email, name, username, password_hash, status)
		VALUES ('ann@example.coop', 'Ann', 'ann', 'x', 'admitted')`); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "bench-seed", "--config", path, "--people", "5")
	if code == 0 || !strings.Contains(errOut, "not benchmark accounts") {
		t.Errorf("bench-seed on a real database: %d %s", code, errOut)
	}
	if got := countRows(t, url, `SELECT count(*) FROM people`); got != 1 {
		t.Errorf("%d people after a refused seeding; want 1", got)
	}
}
