package signup_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

func TestEmailChangeEndToEnd(t *testing.T) {
	t.Parallel()
	e := start(t)
	ann := e.g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	e.g.AcceptAllPolicies(t, ann.ID)
	e.g.CreatePerson(t, "bob@example.coop", "bob", people.Admitted)
	browser := apptest.Browser(t)

	resp, _ := apptest.Get(t, browser, e.g.URL+"/account/email")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(resp), "/login") {
		t.Fatalf("logged out, /account/email answered %d → %q; want the login form", resp.StatusCode, location(resp))
	}
	e.logIn(t, browser, ann.Email, ann.Password)
	pageURL := e.g.URL + "/account/email"
	resp, page := apptest.Get(t, browser, pageURL)
	wantStatus(t, resp, page, http.StatusOK)

	resp, body := apptest.Submit(t, browser, pageURL, page, "/account/email", url.Values{"email": {"ann.new@example.org"}, "password": {"wrong password"}})
	wantStatus(t, resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="password-error"`) || !strings.Contains(body, `value="ann.new@example.org"`) {
		t.Errorf("a wrong password: no message or the address was lost\n%s", body)
	}

	// Another account's address answers alike and mails no one.
	jobs := e.mailJobs(t)
	resp, taken := apptest.Submit(t, browser, pageURL, page, "/account/email", url.Values{"email": {"bob@example.coop"}, "password": {ann.Password}})
	wantStatus(t, resp, taken, http.StatusOK)
	if n := e.mailJobs(t); n != jobs {
		t.Errorf("asking for a taken address queued %d mails", n-jobs)
	}

	resp, body = apptest.Submit(t, browser, pageURL, page, "/account/email", url.Values{"email": {"Ann.New@example.org"}, "password": {ann.Password}})
	wantStatus(t, resp, body, http.StatusOK)
	if strings.ReplaceAll(body, "ann.new@example.org", "X") != strings.ReplaceAll(taken, "bob@example.coop", "X") {
		t.Errorf("a taken address answers differently from a free one:\n%s\n---\n%s", taken, body)
	}
	if p := e.person(t, ann.Email); p.ID != ann.ID {
		t.Fatal("the login email changed before the link was followed")
	}

	_, link := e.link(t, "ann.new@example.org", "/account/email/confirm?token=")
	other := apptest.Browser(t) // the link works wherever the mail is read
	resp, confirm := apptest.Get(t, other, link)
	wantStatus(t, resp, confirm, http.StatusOK)
	resp, body = apptest.Submit(t, other, link, confirm, "/account/email/confirm", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, "ann.new@example.org") {
		t.Errorf("the confirmation page does not name the new address:\n%s", body)
	}
	if p := e.person(t, "ann.new@example.org"); p.ID != ann.ID || !p.EmailVerified {
		t.Errorf("after the change: %+v", p)
	}
	if resp := e.logIn(t, apptest.Browser(t), "ann.new@example.org", ann.Password); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the new address answered %d", resp.StatusCode)
	}
	if resp := e.logIn(t, apptest.Browser(t), ann.Email, ann.Password); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("login with the old address answered %d", resp.StatusCode)
	}
	resp, body = apptest.Submit(t, other, link, confirm, "/account/email/confirm", nil)
	wantStatus(t, resp, body, http.StatusGone)
}
