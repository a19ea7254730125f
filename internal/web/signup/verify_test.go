package signup_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/people"
)

func TestVerificationLinkWorksOnce(t *testing.T) {
	t.Parallel()
	e := start(t)
	browser := apptest.Browser(t)
	ann := newApplicant("ann@example.coop", "ann")
	e.signUp(t, browser, ann)
	_, link := e.link(t, ann.Email, "/verify?token=")
	resp, page := apptest.Get(t, browser, link)
	wantStatus(t, resp, page, http.StatusOK)
	resp, body := apptest.Submit(t, browser, link, page, "/verify", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use answered %d\n%s", resp.StatusCode, body)
	}

	resp, body = apptest.Submit(t, browser, link, page, "/verify", nil)
	wantStatus(t, resp, body, http.StatusGone)
	if !strings.Contains(body, "This link no longer works") {
		t.Errorf("second use: no explanation\n%s", body)
	}
	resp, body = apptest.Get(t, apptest.Browser(t), link)
	wantStatus(t, resp, body, http.StatusGone)
	if main := mainOf(body); !strings.Contains(main, `href="/signup"`) || !strings.Contains(main, `href="/login"`) {
		t.Errorf("a stranger's 410 page offers neither sign-up nor log-in:\n%s", body)
	}
	resp, body = apptest.Get(t, browser, e.g.URL+"/verify?token=made-up")
	wantStatus(t, resp, body, http.StatusGone)
}

func TestResendReplacesTheLink(t *testing.T) {
	t.Parallel()
	e := start(t)
	browser := apptest.Browser(t)
	ann := newApplicant("ann@example.coop", "ann")
	_, checkEmail := e.signUp(t, browser, ann)
	_, first := e.link(t, ann.Email, "/verify?token=")

	for i := 1; i <= 3; i++ {
		resp, body := apptest.Submit(t, browser, e.g.URL+"/signup", checkEmail, "/verify/resend", nil)
		wantStatus(t, resp, body, http.StatusOK)
		if !strings.Contains(body, "a new link is on its way") {
			t.Fatalf("resend %d answered:\n%s", i, body)
		}
	}
	// A fourth within the hour is answered alike and sends nothing.
	resp, body := apptest.Submit(t, browser, e.g.URL+"/signup", checkEmail, "/verify/resend", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if n := e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'admission_recovery'`); n != 3 {
		t.Errorf("%d requests for a new link queued; want 3", n)
	}

	// Mail is delivered in no particular order: of the three resent links,
	// exactly one (the newest) still works.
	var resent []string
	for i := 0; i < 3; i++ {
		_, link := e.link(t, ann.Email, "/verify?token=")
		resent = append(resent, link)
	}
	var working []string
	for _, link := range resent {
		if resp, _ := apptest.Get(t, browser, link); resp.StatusCode == http.StatusOK {
			working = append(working, link)
		}
	}
	// The stale link offers to send a new one, to whoever has it.
	resp, body = apptest.Get(t, apptest.Browser(t), first)
	wantStatus(t, resp, body, http.StatusGone)
	if !strings.Contains(body, `action="/verify/resend"`) {
		t.Errorf("the 410 page offers no new link:\n%s", body)
	}
	if len(working) != 1 {
		t.Fatalf("%d of the resent links work; want exactly the newest", len(working))
	}
	resp, body = e.verify(t, browser, working[0])
	if resp.StatusCode != http.StatusSeeOther || location(resp) != "/continue" {
		t.Fatalf("the newest link answered %d → %q", resp.StatusCode, location(resp))
	}
}

// TestResendAnswersAlikeForEveryAddress: asking for a new confirmation link
// tells nothing about the address, and mails only a sign-up still to be
// confirmed.
func TestResendAnswersAlikeForEveryAddress(t *testing.T) {
	t.Parallel()
	e := start(t)
	member := e.g.CreatePerson(t, "mem@example.coop", "mem", people.Admitted)
	var bodies []string
	for _, email := range []string{member.Email, "nobody@example.coop"} {
		browser := apptest.Browser(t)
		resp, gone := apptest.Get(t, browser, e.g.URL+"/verify?token=spent")
		wantStatus(t, resp, gone, http.StatusGone)
		resp, body := apptest.Submit(t, browser, e.g.URL+"/verify", gone, "/verify/resend", url.Values{"email": {email}})
		wantStatus(t, resp, body, http.StatusOK)
		bodies = append(bodies, sameShape(body, email))
	}
	if bodies[0] != bodies[1] {
		t.Errorf("the answers differ:\n%s\n---\n%s", bodies[0], bodies[1])
	}
	waitFor(t, func() bool {
		return e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'admission_recovery' AND state = 'completed'`) == 2
	})
	if n := e.mailJobs(t); n != 0 {
		t.Errorf("%d mails for a member's and an unknown address; want none", n)
	}
}

// TestVerifyInAnotherBrowser: a link followed away from the browser that
// signed up confirms the sign-up only with a password chosen there, which
// then is the password (the one typed at sign-up may be someone else's),
// and logs the person in there. A browser where someone else is logged in
// is told what comes next.
func TestVerifyInAnotherBrowser(t *testing.T) {
	t.Parallel()
	e := start(t)
	for _, tt := range []struct {
		email, want string
	}{
		{"ann@example.coop", "/continue"},
		{"bob@elsewhere.org", "/status"},
	} {
		t.Run(tt.email, func(t *testing.T) {
			a := newApplicant(tt.email, strings.Split(tt.email, "@")[0])
			e.signUp(t, apptest.Browser(t), a)
			_, link := e.link(t, tt.email, "/verify?token=")
			other := apptest.Browser(t)
			resp, page := apptest.Get(t, other, link)
			wantStatus(t, resp, page, http.StatusOK)
			if !strings.Contains(page, `name="password"`) || !strings.Contains(page, a.Username) {
				t.Fatalf("the link's page elsewhere asks for no password or hides whose sign-up it is:\n%s", page)
			}
			resp, body := apptest.Submit(t, other, link, page, "/verify", nil)
			wantStatus(t, resp, body, http.StatusUnprocessableEntity)
			if !strings.Contains(body, `id="password-error"`) {
				t.Errorf("no message beside the password:\n%s", body)
			}
			chosen := "chosen elsewhere " + a.Username
			resp, body = apptest.Submit(t, other, link, page, "/verify", url.Values{"password": {chosen}})
			if resp.StatusCode != http.StatusSeeOther || location(resp) != tt.want {
				t.Fatalf("confirming with a password answered %d → %q; want 303 to %s\n%s", resp.StatusCode, location(resp), tt.want, body)
			}
			if where, _ := e.statusOf(t, other); where == "/login" {
				t.Error("the browser that confirmed is not logged in")
			}
			if resp := logInWith(t, e, apptest.Browser(t), a.Email, a.Password); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("the password typed at sign-up answered %d; want 401, the one chosen at confirmation replaced it", resp.StatusCode)
			}
			if resp := logInWith(t, e, apptest.Browser(t), a.Email, chosen); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("the password chosen at confirmation answered %d; want it to log in", resp.StatusCode)
			}
		})
	}
	t.Run("someone else logged in", func(t *testing.T) {
		cy := newApplicant("cy@example.coop", "cy")
		e.signUp(t, apptest.Browser(t), cy)
		_, link := e.link(t, cy.Email, "/verify?token=")
		member := e.g.LoggedIn(t, e.g.CreatePerson(t, "mo@example.coop", "mo", people.Admitted))
		resp, body := e.verifyWith(t, member, link, url.Values{"password": {"cy's own password"}})
		wantStatus(t, resp, body, http.StatusOK)
		if main := mainOf(body); !strings.Contains(main, "You are now a member") || !strings.Contains(main, `href="/login">Log in`) {
			t.Errorf("the page does not say what happened with a way to log in:\n%s", body)
		}
	})
}

// TestDomainTricksAreNotAdmitted drives the real sign-up and verification:
// only an address whose domain is exactly an allowed one is admitted.
func TestDomainTricksAreNotAdmitted(t *testing.T) {
	t.Parallel()
	e := start(t)
	tests := []struct {
		email string
		want  people.Status
	}{
		{"ann@evil-example.coop", people.AwaitingApproval},
		{"bob@example.coop.evil.com", people.AwaitingApproval},
		{"cat@sub.example.coop", people.AwaitingApproval},
		{"dan@examplexcoop.org", people.AwaitingApproval},
		{"Eve@EXAMPLE.coop", people.Admitted},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			browser := apptest.Browser(t)
			username := strings.ToLower(strings.Split(tt.email, "@")[0])
			e.signUp(t, browser, newApplicant(tt.email, username))
			email := strings.ToLower(tt.email)
			_, link := e.link(t, email, "/verify?token=")
			resp, _ := e.verify(t, browser, link)
			if p := e.person(t, email); p.Status != tt.want {
				t.Errorf("status %s; want %s", p.Status, tt.want)
			}
			wantLoc := map[people.Status]string{people.Admitted: "/continue", people.AwaitingApproval: "/status"}[tt.want]
			if location(resp) != wantLoc {
				t.Errorf("verification went to %q; want %q", location(resp), wantLoc)
			}
		})
	}
}

func TestDevMailPage(t *testing.T) {
	t.Parallel()
	t.Run("not in production", func(t *testing.T) {
		e := start(t)
		resp, body := apptest.Get(t, apptest.Browser(t), e.g.URL+"/dev/mail")
		wantStatus(t, resp, body, http.StatusNotFound)
	})
	t.Run("in development", func(t *testing.T) {
		// The console sender keeps what it prints; coopgate dev uses it.
		g := apptest.Start(t, func(c *config.Config) { c.Dev = true })
		e := &env{g: g}
		a := newApplicant("ann@example.coop", "ann")
		a.Name = "Ann <b>Bold</b>"
		e.signUp(t, apptest.Browser(t), a)
		var body string
		waitFor(t, func() bool {
			var resp *http.Response
			resp, body = apptest.Get(t, apptest.Browser(t), g.URL+"/dev/mail")
			return resp.StatusCode == http.StatusOK && strings.Contains(body, "Confirm your email address for Test Co-op")
		})
		if !strings.Contains(body, g.URL+"/verify?token=") || !strings.Contains(body, "ann@example.coop") {
			t.Errorf("the dev mail page lacks the link or the recipient:\n%s", body)
		}
		if strings.Contains(body, "<b>Bold</b>") || !strings.Contains(body, "&lt;b&gt;Bold&lt;/b&gt;") {
			t.Errorf("the mail's text is not escaped:\n%s", body)
		}
	})
}
