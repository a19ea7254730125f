package signup_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// logIn uses the plain login form (no relying party) and checks it worked.
func (e *env) logIn(t *testing.T, c *http.Client, email, pw string) *http.Response {
	t.Helper()
	resp, body := apptest.Get(t, c, e.g.URL+"/login")
	resp, _ = apptest.Submit(t, c, e.g.URL+"/login", body, "/login", url.Values{"email": {email}, "password": {pw}})
	return resp
}

// forgot asks for a reset link in a fresh browser and returns the page.
func (e *env) forgot(t *testing.T, email string) (*http.Response, string) {
	t.Helper()
	c := apptest.Browser(t)
	resp, body := apptest.Get(t, c, e.g.URL+"/password/forgot")
	wantStatus(t, resp, body, http.StatusOK)
	return apptest.Submit(t, c, e.g.URL+"/password/forgot", body, "/password/forgot", url.Values{"email": {email}})
}

func TestPasswordResetEndToEnd(t *testing.T) {
	t.Parallel()
	e := start(t)
	ann := e.g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	e.g.AcceptAllPolicies(t, ann.ID)
	before := apptest.Browser(t)
	if resp := e.logIn(t, before, ann.Email, ann.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login before the reset answered %d", resp.StatusCode)
	}
	if where, _ := e.statusOf(t, before); where != "/continue" {
		t.Fatalf("the browser is not logged in before the reset (/status → %q)", where)
	}

	resp, body := e.forgot(t, "ANN@example.coop")
	wantStatus(t, resp, body, http.StatusOK)
	_, link := e.link(t, ann.Email, "/password/reset?token=")
	browser := apptest.Browser(t)
	resp, page := apptest.Get(t, browser, link)
	wantStatus(t, resp, page, http.StatusOK)

	resp, body = apptest.Submit(t, browser, link, page, "/password/reset", url.Values{"password": {"short"}})
	wantStatus(t, resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, `id="password-error"`) || strings.Contains(body, `value="short"`) {
		t.Errorf("a too-short password: no message, or it came back\n%s", body)
	}
	const fresh = "a brand new passphrase"
	resp, body = apptest.Submit(t, browser, link, body, "/password/reset", url.Values{"password": {fresh}})
	wantStatus(t, resp, body, http.StatusOK)
	if !strings.Contains(body, "Password changed") {
		t.Errorf("after the reset:\n%s", body)
	}

	if where, _ := e.statusOf(t, before); where != "/login" {
		t.Errorf("the browser logged in before the reset is still logged in (/status → %q)", where)
	}
	if resp := e.logIn(t, apptest.Browser(t), ann.Email, ann.Password); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", resp.StatusCode)
	}
	if resp := e.logIn(t, apptest.Browser(t), ann.Email, fresh); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the new password does not work: %d", resp.StatusCode)
	}
	resp, body = apptest.Get(t, browser, link)
	wantStatus(t, resp, body, http.StatusGone)
	if !strings.Contains(mainOf(body), `href="/password/forgot"`) {
		t.Errorf("a used reset link does not offer a new one:\n%s", body)
	}
}

func TestForgotUnknownEmailAnswersTheSameAndSendsNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	ann := e.g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)

	respNobody, bodyNobody := e.forgot(t, "nobody@example.coop")
	wantStatus(t, respNobody, bodyNobody, http.StatusOK)
	if n := e.mailJobs(t); n != 0 {
		t.Fatalf("%d mails for an address with no account", n)
	}
	respAnn, bodyAnn := e.forgot(t, ann.Email)
	if respAnn.StatusCode != respNobody.StatusCode ||
		strings.ReplaceAll(bodyAnn, ann.Email, "X") != strings.ReplaceAll(bodyNobody, "nobody@example.coop", "X") {
		t.Errorf("the answers differ:\n%s\n---\n%s", bodyNobody, bodyAnn)
	}
	e.link(t, ann.Email, "/password/reset?token=")
}

func TestForgotRateLimitAndBadLinks(t *testing.T) {
	t.Parallel()
	e := start(t)
	for i := 0; i < 3; i++ {
		if resp, body := e.forgot(t, "someone@example.coop"); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d answered %d\n%s", i+1, resp.StatusCode, body)
		}
	}
	// Past an address's allowance the answer is the same and nothing more
	// is queued (internal/web/login's TestUsedUpResetAllowanceKeepsNoOneOut);
	// past the network's, a 429.
	resp, body := e.forgot(t, "someone@example.coop")
	wantStatus(t, resp, body, http.StatusOK)
	if n := e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'admission_recovery'`); n != 3 {
		t.Errorf("%d requests queued; want 3", n)
	}
	for i := 0; i < 6; i++ {
		e.forgot(t, fmt.Sprintf("other%d@example.coop", i))
	}
	resp, body = e.forgot(t, "last@example.coop")
	wantStatus(t, resp, body, http.StatusTooManyRequests)

	resp, body = apptest.Get(t, apptest.Browser(t), e.g.URL+"/password/reset?token=made-up")
	wantStatus(t, resp, body, http.StatusGone)
}
