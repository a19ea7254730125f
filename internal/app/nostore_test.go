package app_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// TestPagesWithPersonalDataAreNotCached: a shared computer's cache, or a
// proxy's, must not keep a member's pages.
func TestPagesWithPersonalDataAreNotCached(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	sec := secretaryBrowser(t, g)
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.AwaitingApproval)
	annBrowser := apptest.Browser(t)
	_, body := apptest.Get(t, annBrowser, g.URL+"/login")
	apptest.Submit(t, annBrowser, g.URL+"/login", body, "/login", url.Values{"email": {ann.Email}, "password": {ann.Password}})
	bob := g.CreatePerson(t, "bob@example.coop", "bob", people.Admitted)
	bobBrowser := apptest.Browser(t)
	_, body = apptest.Get(t, bobBrowser, g.URL+"/login")
	apptest.Submit(t, bobBrowser, g.URL+"/login", body, "/login", url.Values{"email": {bob.Email}, "password": {bob.Password}})

	for _, tt := range []struct {
		browser *http.Client
		path    string
	}{
		{sec, "/account"}, {sec, "/account/export.json"}, {sec, "/admin"}, {sec, "/admin/people"}, {sec, "/admin/audit"},
		{sec, "/policies"}, {sec, "/policies/free-speech"}, {annBrowser, "/status"}, {bobBrowser, "/terms"},
		{sec, "/account/email"}, {apptest.Browser(t), "/login"}, {apptest.Browser(t), "/signup"},
		{sec, "/account/second-factor"}, {sec, "/account/totp"}, {sec, "/login/second-factor/setup"},
	} {
		resp, body := apptest.Get(t, tt.browser, g.URL+tt.path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d\n%s", tt.path, resp.StatusCode, body)
			continue
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", tt.path, got)
		}
	}
	resp, _ := apptest.Get(t, sec, g.URL+"/static/style.css")
	if got := resp.Header.Get("Cache-Control"); got != "public, max-age=3600" {
		t.Errorf("the stylesheet's Cache-Control is %q; it holds nothing personal and should stay cacheable", got)
	}
}
