package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// TestPagesTellTheTruthWhenTheDatabaseIsDown stops the gateway's own
// PostgreSQL between showing a form and its submission: the answers say the
// gateway can't check right now (503), never that the person did something
// wrong (a lockout, a 429, a wrong password).
func TestPagesTellTheTruthWhenTheDatabaseIsDown(t *testing.T) {
	t.Parallel()
	o := pgtest.NewOutage(t)
	g := apptest.Start(t, apptest.WithDatabase(o.URL))
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	g.AcceptAllPolicies(t, ann.ID)
	member := apptest.Browser(t)
	_, memberPage := apptest.Get(t, member, g.URL+"/login")
	apptest.Submit(t, member, g.URL+"/login", memberPage, "/login", url.Values{"email": {ann.Email}, "password": {ann.Password}})

	browser := apptest.Browser(t)
	forms := map[string]string{}
	for _, path := range []string{"/login", "/signup", "/password/forgot"} {
		resp, body := apptest.Get(t, browser, g.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
		forms[path] = body
	}
	o.Stop()

	for _, tt := range []struct {
		path   string
		fields url.Values
		want   string
	}{
		{"/login", url.Values{"email": {ann.Email}, "password": {ann.Password}}, "can&#39;t check your password right now"},
		{"/signup", url.Values{"name": {"Zoe"}, "email": {"zoe@example.coop"}, "username": {"zoe"}, "password": {"a long enough password"}},
			"can&#39;t take your sign-up right now"},
		{"/password/forgot", url.Values{"email": {ann.Email}}, "can&#39;t send you a link right now"},
	} {
		resp, body := apptest.Submit(t, browser, g.URL+tt.path, forms[tt.path], tt.path, tt.fields)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, tt.want) || !strings.Contains(body, "try again in a minute") {
			t.Errorf("POST %s with the database down = %d; want 503 saying %q\n%s", tt.path, resp.StatusCode, tt.want, mainOf(body))
		}
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("POST %s: a 503 without Retry-After", tt.path)
		}
	}
	resp, body := apptest.Get(t, member, g.URL+"/account")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a member's /account with the database down = %d, want 503 (not a redirect to log in)\n%s", resp.StatusCode, mainOf(body))
	}
	resp, body = apptest.Get(t, browser, g.URL+"/signup")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "try again in a minute") {
		t.Errorf("GET /signup with the database down = %d\n%s", resp.StatusCode, mainOf(body))
	}

	o.Start(t)
	resp, _ = apptest.Submit(t, browser, g.URL+"/login", forms["/login"], "/login", url.Values{"email": {ann.Email}, "password": {ann.Password}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login after the database came back = %d, want 303: the outage must not have counted as failed logins", resp.StatusCode)
	}
}

// mainOf is a page's own content, without the layout.
func mainOf(body string) string {
	if _, after, ok := strings.Cut(body, "<main"); ok {
		return after
	}
	return body
}
