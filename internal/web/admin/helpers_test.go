package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// secretary makes an admitted secretary and a browser logged in as them.
func secretary(t *testing.T, g *apptest.Gateway, email, username string) (apptest.Person, *http.Client) {
	t.Helper()
	p := g.CreatePerson(t, email, username, people.Admitted, people.RoleSecretary)
	g.AcceptAllPolicies(t, p.ID)
	return p, logIn(t, g, p)
}

// logIn logs p in through the login form and returns their browser.
func logIn(t *testing.T, g *apptest.Gateway, p apptest.Person) *http.Client {
	t.Helper()
	b := apptest.Browser(t)
	_, body := apptest.Get(t, b, g.URL+"/login")
	resp, _ := apptest.Submit(t, b, g.URL+"/login", body, "/login", url.Values{"email": {p.Email}, "password": {p.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logging in %s: %d", p.Email, resp.StatusCode)
	}
	return b
}

// applicant makes a person awaiting approval with an open application, as
// admission leaves them after verifying an address no rule admits.
func applicant(t *testing.T, g *apptest.Gateway, email, username string) (apptest.Person, int64) {
	t.Helper()
	p := g.CreatePerson(t, email, username, people.AwaitingApproval)
	var id int64
	err := g.App.Pool.QueryRow(context.Background(), `INSERT INTO applications (person_id, note, failed_rule)
		VALUES ($1, 'I run the bakery stall', 'elsewhere.org is not an allowed email domain') RETURNING id`, p.ID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return p, id
}

// count runs a counting query.
func count(t *testing.T, g *apptest.Gateway, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := g.App.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// events counts audit events of an action about a subject.
func events(t *testing.T, g *apptest.Gateway, action, subject string) int {
	t.Helper()
	return count(t, g, `SELECT count(*) FROM audit_events WHERE action = $1 AND subject_id = $2`, action, subject)
}

func status(t *testing.T, g *apptest.Gateway, personID string) people.Status {
	t.Helper()
	p, err := people.ByID(context.Background(), g.App.Pool, personID)
	if err != nil {
		t.Fatal(err)
	}
	return p.Status
}

var (
	wantStatus   = apptest.WantStatus
	wantContains = apptest.WantContains
)
