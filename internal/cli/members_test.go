package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/pgtest"
)

// testConfig writes a configuration naming a fresh database and returns its
// path and the database URL.
func testConfig(t *testing.T) (string, string) {
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
	return path, url
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
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

const membersFile = "membership_number,name,emails\n1,Ann Smith,ann@example.org\n2,Bob Jones,bob@example.org\n"

func TestMembersImport(t *testing.T) {
	cfg, url := testConfig(t)
	file := writeFile(t, "members.csv", membersFile)

	code, out, errOut := run(t, "members", "import", file, "--dry-run", "--config", cfg)
	if code != 0 || !strings.Contains(out, "would add 2, update 0, leave 0 unchanged") || !strings.Contains(out, "dry run") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if n := countRows(t, url, `SELECT count(*) FROM register_entries`); n != 0 {
		t.Fatalf("the dry run stored %d entries", n)
	}

	code, out, errOut = run(t, "members", "import", "--config", cfg, file)
	if code != 0 || !strings.Contains(out, "imported: 2 added, 0 updated, 0 unchanged") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if n := countRows(t, url, `SELECT count(*) FROM audit_events WHERE action = 'register.import' AND actor_label = 'cli'
		AND (after->>'added')::int = 2`); n != 1 {
		t.Errorf("%d register.import events, want 1", n)
	}
	code, out, _ = run(t, "members", "import", "--config", cfg, file)
	if code != 0 || !strings.Contains(out, "imported: 0 added, 0 updated, 2 unchanged") {
		t.Errorf("re-import: exit %d\n%s", code, out)
	}
}

func TestMembersImportRefusesAFileWithProblems(t *testing.T) {
	cfg, url := testConfig(t)
	file := writeFile(t, "members.csv", membersFile+"3,Carol,not-an-address\n")
	code, out, errOut := run(t, "members", "import", file, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "line 4: emails:") || !strings.Contains(errOut, "nothing was imported") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := countRows(t, url, `SELECT count(*) FROM register_entries`); n != 0 {
		t.Errorf("%d entries stored from a file with problems", n)
	}
}

func TestMembersUsage(t *testing.T) {
	for _, args := range [][]string{{"members"}, {"members", "export"}, {"members", "import"}, {"members", "import", "a.csv", "b.csv"}} {
		if code, _, errOut := run(t, args...); code != 2 || !strings.Contains(errOut, "usage") {
			t.Errorf("%q: exit %d, %s", args, code, errOut)
		}
	}
}
