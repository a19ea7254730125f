package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// TestFederationSync: the dry run prints what it would change and changes
// nothing; the real run blocks what the co-op decided and leaves a block
// made in Mastodon alone, saying so.
func TestFederationSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := mastodontest.NewServer(t, "masto-token")
	url := pgtest.NewURL(t)
	path := filepath.Join(t.TempDir(), "coopgate.yaml")
	yaml := `issuer: http://127.0.0.1:9
database_url: ` + url + `
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op}
smtp: {from: id@example.coop, console: true}
downstream: {mastodon: {enabled: true, base_url: '` + fake.URL + `', token: masto-token}}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	inserter, err := jobs.NewInserter(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = federation.New(federation.Deps{Pool: pool, Jobs: inserter}).Record(ctx, federation.NewDecision{Domain: "spam.example",
		Action: federation.Block, Settings: federation.Settings{Severity: federation.Suspend}, Ground: federation.Spam,
		PublicReason: "Spam", Reference: "https://loomio.example.coop/d/1", Source: federation.FromForm}, audit.Actor{Label: "test"})
	if err != nil {
		t.Fatal(err)
	}
	fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "drift.example", Severity: "silence"})

	out := runCLI(t, "federation", "sync", "--dry-run", "--config", path)
	for _, want := range []string{"spam.example: not blocked on Mastodon: would block it (suspend)",
		"drift.example: blocked on Mastodon (silence), not decided here: left alone", "nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run said:\n%s\nwant %q", out, want)
		}
	}
	if len(fake.DomainBlocks()) != 1 {
		t.Fatal("the dry run changed Mastodon")
	}
	out = runCLI(t, "federation", "sync", "--config", path)
	if !strings.Contains(out, "spam.example: blocked") || !strings.Contains(out, "synced 1 domains; 1 blocks not decided here were left alone") {
		t.Errorf("sync said:\n%s", out)
	}
	if _, ok := fake.DomainBlockFor("spam.example"); !ok || len(fake.DomainBlocks()) != 2 {
		t.Errorf("blocks %+v", fake.DomainBlocks())
	}
	if out := runCLI(t, "federation", "sync", "--config", path); !strings.Contains(out, "drift.example") || strings.Contains(out, "spam.example") {
		t.Errorf("a second sync said:\n%s", out)
	}
}

func TestFederationUsage(t *testing.T) {
	if code, _, errOut := run(t, "federation"); code != 2 || !strings.Contains(errOut, "coopgate federation sync [--dry-run]") {
		t.Errorf("exit %d, %s", code, errOut)
	}
	path, _ := testConfig(t)
	if code, _, errOut := run(t, "federation", "sync", "--config", path); code != 1 || !strings.Contains(errOut, "Mastodon is not enabled") {
		t.Errorf("without a Mastodon: exit %d, %s", code, errOut)
	}
}

// TestUsersCreateModerator: the sysadmin can make a moderator from the CLI.
func TestUsersCreateModerator(t *testing.T) {
	path, url := testConfig(t)
	code, out, errOut := run(t, "users", "create", "--config", path, "--email", "mo@example.coop", "--name", "Mo",
		"--username", "mo", "--role", "moderator")
	if code != 0 || !strings.Contains(out, "created mo <mo@example.coop> (moderator)") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := countRows(t, url, `SELECT count(*) FROM people WHERE username = 'mo' AND roles = '{moderator}'`); n != 1 {
		t.Errorf("%d moderators", n)
	}
	if code, _, errOut := run(t, "users", "create", "--config", path, "--email", "x@example.coop", "--name", "X",
		"--username", "x", "--role", "admin"); code != 2 || !strings.Contains(errOut, "--role: member, secretary or moderator") {
		t.Errorf("an unknown role: exit %d, %s", code, errOut)
	}
}
