package admin_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

var adminPages = []string{"/admin", "/admin/applications", "/admin/people", "/admin/domains", "/admin/register",
	"/admin/register/import", "/admin/register/export.csv", "/admin/policies", "/admin/policies/acceptances.csv",
	"/admin/audit", "/admin/no-such-page"}

func TestOnlySecretariesGetIn(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	sec, secBrowser := secretary(t, g, "sec@example.coop", "sec")
	member := g.CreatePerson(t, "mem@example.coop", "mem", people.Admitted)
	g.AcceptAllPolicies(t, member.ID)
	memberBrowser := logIn(t, g, member)
	_, appID := applicant(t, g, "ann@elsewhere.org", "ann")
	pages := append(adminPages, "/admin/people/"+sec.ID)

	for _, path := range pages {
		t.Run(path, func(t *testing.T) {
			resp, _ := apptest.Get(t, apptest.Browser(t), g.URL+path)
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login" {
				t.Errorf("anonymous: %d to %q, want 303 to /login", resp.StatusCode, loc)
			}
			resp, _ = apptest.Get(t, memberBrowser, g.URL+path)
			wantStatus(t, "member", resp, http.StatusForbidden)
			resp, _ = apptest.Get(t, secBrowser, g.URL+path)
			if path == "/admin/no-such-page" {
				wantStatus(t, "secretary", resp, http.StatusNotFound)
			} else {
				wantStatus(t, "secretary", resp, http.StatusOK)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("secretary: Cache-Control %q, want no-store", cc)
			}
		})
	}

	t.Run("a member's POST is refused and changes nothing", func(t *testing.T) {
		_, body := apptest.Get(t, memberBrowser, g.URL+"/logout") // any page with the CSRF field
		action := "/admin/applications/" + strconv.FormatInt(appID, 10) + "/approve"
		form, err := apptest.FindForm(body, "/logout")
		if err != nil {
			t.Fatal(err)
		}
		resp, body := apptest.Submit(t, memberBrowser, g.URL+"/logout", `<form action="`+action+`"><input name="csrf_token" value="`+
			form.Values.Get("csrf_token")+`"></form>`, action, url.Values{})
		wantStatus(t, "member approving", resp, http.StatusForbidden)
		// Refused by the secretary check, not by CSRF protection.
		wantContains(t, "member approving", body, "You are not allowed to do that.")
		if n := count(t, g, `SELECT count(*) FROM applications WHERE id = $1 AND state = 'pending'`, appID); n != 1 {
			t.Error("a member's POST decided the application")
		}
	})
}
