package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// TestRoleThatNeedsASecondFactor: a secretary (security.require_second_factor
// at its default) without a second factor never reaches the admin pages;
// their first login may skip setting one up, once; every later one is sent
// to set it up before anything else; once set up, the pages open to a
// session that used it. Members are not asked.
func TestRoleThatNeedsASecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, apptest.RequireSecondFactor(people.RoleSecretary))
	r := apptest.NewRP(t, g)
	sam := g.CreateMember(t, "sam@example.coop", "sam", people.RoleSecretary)
	ann := g.CreateMember(t, "ann@example.coop", "ann")

	r.Code(t, apptest.Browser(t), apptest.NewFlow(), ann.Email, ann.Password) // a member goes straight through

	first := apptest.Browser(t)
	resp, body := logIn(t, g, first, sam.Email, sam.Password)
	resp, body = apptest.Follow(t, first, g.URL, resp, body)
	if resp.Request.URL.Path != "/login/second-factor/setup" || !strings.Contains(body, "Not now, just this once") {
		t.Fatalf("the secretary's first login: at %s; want the set-up page with its one skip", resp.Request.URL)
	}
	wantAdminClosed(t, g, first)
	resp, body = apptest.Submit(t, first, resp.Request.URL.String(), body, "/login/second-factor/skip", nil)
	resp, _ = apptest.Follow(t, first, g.URL, resp, body)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/account" {
		t.Errorf("skipping: %d at %s; want the account page", resp.StatusCode, resp.Request.URL)
	}
	wantAdminClosed(t, g, first)
	if n := g.Count(t, "SELECT count(*) FROM audit_events WHERE action = 'second_factor.grace_use' AND subject_id = $1", sam.ID); n != 1 {
		t.Errorf("%d audit events of the skip; want 1", n)
	}

	// The next login, at a service: no skip, no code for the service.
	second := apptest.Browser(t)
	resp = apptest.LogIn(t, second, g.URL, r.AuthURL(apptest.NewFlow()), sam.Email, sam.Password)
	_, body = apptest.Get(t, second, resp.Request.URL.String())
	if resp.Request.URL.Path != "/login/second-factor/setup" || strings.Contains(body, "Not now") {
		t.Fatalf("the second login: at %s; want the set-up page without a skip", resp.Request.URL)
	}
	resp, body = apptest.Get(t, second, r.AuthURL(apptest.NewFlow())+"&prompt=none")
	resp, _ = apptest.Follow(t, second, g.URL, resp, body)
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "interaction_required" {
		t.Errorf("prompt=none: %v; want interaction_required", loc)
	}
	if n := g.Count(t, "SELECT count(*) FROM oidc_auth_requests WHERE person_id = $1", sam.ID); n != 0 {
		t.Errorf("%d logins of the secretary completed without a second factor after the grace", n)
	}

	// Setting one up goes on with the service's login, with both factors.
	app := apptest.EnrolTOTP(t, g, second)
	resp, body = apptest.Get(t, second, g.URL+"/continue")
	resp, _ = apptest.Follow(t, second, g.URL, resp, body)
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("code") == "" {
		t.Errorf("after setting up the app: %d %v; want on to the service", resp.StatusCode, loc)
	}
	if resp, _ := apptest.Get(t, second, g.URL+"/admin"); resp.StatusCode != http.StatusOK {
		t.Errorf("the admin pages after setting up the app: %d", resp.StatusCode)
	}

	// The first session, with the password alone, gives the code first.
	resp, body = apptest.Get(t, first, g.URL+"/admin/people")
	resp, body = apptest.Follow(t, first, g.URL, resp, body)
	if resp.Request.URL.Path != "/login/second-factor" {
		t.Fatalf("the old session at the admin pages: at %s; want the second-factor page", resp.Request.URL)
	}
	resp, body = apptest.Submit(t, first, resp.Request.URL.String(), body, "/login/second-factor",
		url.Values{"code": {apptest.TOTPCode(t, app.Secret, time.Now().Add(30*time.Second))}})
	if loc, _ := resp.Location(); loc == nil || loc.Path != "/admin/people" {
		t.Fatalf("after the code: %d %v; want back at /admin/people\n%s", resp.StatusCode, loc, body)
	}
	if resp, _ := apptest.Get(t, first, g.URL+"/admin/people"); resp.StatusCode != http.StatusOK {
		t.Errorf("the admin pages after the code: %d", resp.StatusCode)
	}
}

// wantAdminClosed checks that the admin pages send browser to its second
// factor, and show nothing.
func wantAdminClosed(t *testing.T, g *apptest.Gateway, browser *http.Client) {
	t.Helper()
	for _, path := range []string{"/admin", "/admin/people"} {
		resp, body := apptest.Get(t, browser, g.URL+path)
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil ||
			loc.RequestURI() != "/login/second-factor?next="+url.QueryEscape(path) || strings.Contains(body, "sam@example.coop") {
			t.Errorf("%s without a second factor: %d %v", path, resp.StatusCode, loc)
		}
	}
	resp, body := apptest.Get(t, browser, g.URL+"/login/second-factor?next=/admin")
	if resp, _ = apptest.Follow(t, browser, g.URL, resp, body); resp.Request.URL.Path != "/login/second-factor/setup" {
		t.Errorf("asked for a second factor it has not: at %s; want the set-up page", resp.Request.URL)
	}
}

// TestAnotherRoleCanNeedASecondFactor: the policy names roles, whatever
// they are; the secretary's role is then free of it.
func TestAnotherRoleCanNeedASecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, apptest.RequireSecondFactor("moderator"))
	mod := g.CreateMember(t, "mo@example.coop", "mo", "moderator")
	sam := g.CreateMember(t, "sam@example.coop", "sam", people.RoleSecretary)
	resp, body := logIn(t, g, apptest.Browser(t), mod.Email, mod.Password)
	if loc, _ := resp.Location(); loc == nil || loc.Path != "/login/second-factor/setup" {
		t.Errorf("a moderator's login: %d %v\n%s", resp.StatusCode, loc, body)
	}
	if resp, _ := apptest.Get(t, g.LoggedIn(t, sam), g.URL+"/admin"); resp.StatusCode != http.StatusOK {
		t.Errorf("the secretary, whose role is not named: /admin %d", resp.StatusCode)
	}
}
