package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/downstream/gitlab/gitlabtest"
)

// TestUsersCreateEnrols: a member made by the CLI is admitted the way
// sign-up admits one: audited as an enrolment, and with the jobs for their
// accounts on the enabled services enqueued at once (the server's workers
// run them), instead of waiting for someone to run `downstream sync`.
func TestUsersCreateEnrols(t *testing.T) {
	fake := gitlabtest.NewServer(t, "glpat-test")
	path, url := testConfig(t)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("downstream: {gitlab: {enabled: true, base_url: '" + fake.URL + "', token: glpat-test}}\n")
	if cerr := f.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	code, out, errOut := run(t, "users", "create", "--config", path, "--email", "Ann@Example.coop", "--name", "Ann",
		"--username", "ann", "--role", "secretary")
	if code != 0 || !strings.Contains(out, "created ann <ann@example.coop> (secretary)") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if n := countRows(t, url, `SELECT count(*) FROM people WHERE username = 'ann' AND status = 'admitted' AND email_verified_at IS NOT NULL`); n != 1 {
		t.Errorf("%d admitted, verified anns", n)
	}
	if n := countRows(t, url, `SELECT count(*) FROM audit_events WHERE action = 'person.enrol' AND actor_label = 'cli'`); n != 1 {
		t.Errorf("%d enrolment events", n)
	}
	if n := countRows(t, url, `SELECT count(*) FROM river_job WHERE kind = 'downstream_ensure' AND args->>'service' = 'gitlab'`); n != 1 {
		t.Errorf("%d gitlab ensure jobs; want ann's", n)
	}
	if n := countRows(t, url, `SELECT count(*) FROM downstream_accounts WHERE service = 'gitlab' AND state = 'pending'`); n != 1 {
		t.Errorf("%d gitlab accounts shown pending; want ann's", n)
	}

	code, _, errOut = run(t, "users", "create", "--config", path, "--email", "w@example.coop", "--name", "W", "--username", "webmaster")
	if code != 2 || !strings.Contains(errOut, "--username: reserved by one of the co-op's services") {
		t.Errorf("a reserved username: exit %d, %s", code, errOut)
	}
}
