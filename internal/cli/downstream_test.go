package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/downstream/gitlab/gitlabtest"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// TestDownstreamSync: the dry run says what would change and changes
// nothing; the real run links the existing account and creates the missing
// one.
func TestDownstreamSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := gitlabtest.NewServer(t, "glpat-test")
	url := pgtest.NewURL(t)
	path := filepath.Join(t.TempDir(), "coopgate.yaml")
	yaml := `issuer: http://127.0.0.1:9
database_url: ` + url + `
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op, secretary_email: secretary@example.coop}
smtp: {from: id@example.coop, console: true}
downstream: {gitlab: {enabled: true, base_url: '` + fake.URL + `', token: glpat-test}}
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	peopletest.Admitted(t, pool, "ann@example.coop")
	peopletest.Admitted(t, pool, "bob@example.coop")
	existing := fake.AddUser(gitlabtest.User{Username: "ann", Name: "Ann", Email: "ann@example.coop"})

	out := runCLI(t, "downstream", "sync", "--dry-run", "--config", path)
	for _, want := range []string{"ann (admitted) gitlab ensure: active (id ", "bob (admitted) gitlab ensure: missing: would create it", "nothing was changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run said:\n%s\nwant %q", out, want)
		}
	}
	if fake.Users() != 1 {
		t.Fatalf("the dry run changed GitLab: %d users", fake.Users())
	}

	out = runCLI(t, "downstream", "sync", "--config", path)
	if !strings.Contains(out, "synced 2 accounts") {
		t.Errorf("sync said:\n%s", out)
	}
	if u, _ := fake.User(existing.ID); len(u.Identities) != 1 || fake.Users() != 2 {
		t.Errorf("ann's user %+v, %d users; want hers linked and bob's created", u, fake.Users())
	}

	var stderr bytes.Buffer
	if code := Run(ctx, []string{"downstream", "sync", "--service", "mastodon", "--config", path}, nil, &bytes.Buffer{}, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "not enabled") {
		t.Errorf("--service mastodon: exit %d, %s", code, stderr.String())
	}
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := Run(context.Background(), args, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, stdout.String(), stderr.String())
	}
	return stdout.String()
}
