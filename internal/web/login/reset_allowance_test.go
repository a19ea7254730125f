package login_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
)

func askForReset(t *testing.T, g *apptest.Gateway, c *http.Client, email string) (*http.Response, string) {
	t.Helper()
	_, forgot := apptest.Get(t, c, g.URL+"/password/forgot")
	return apptest.Submit(t, c, g.URL+"/password/forgot", forgot, "/password/forgot", url.Values{"email": {email}})
}

// TestUsedUpResetAllowanceKeepsNoOneOut: anyone can use up the reset mails
// an address gets in an hour, and lock its email-wide login from many
// addresses. The owner, on a new device, still gets the same answer (no
// 429), no more mail is sent, the newest link already sent still works,
// the reset lifts the lock, and the browser that reset is then a known
// device that fresh guessing cannot lock out.
func TestUsedUpResetAllowanceKeepsNoOneOut(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv), behindLoopbackProxy)
	kim := g.CreatePerson(t, "kim@example.coop", "kim", people.Admitted)
	g.AcceptAllPolicies(t, kim.ID)

	var answers []string
	for i := 0; i < 3; i++ {
		resp, body := askForReset(t, g, from(t, fmt.Sprintf("203.0.113.%d", 10+i)), kim.Email)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("reset request %d: %d", i+1, resp.StatusCode)
		}
		answers = append(answers, body)
	}
	var links []string
	for i := 0; i < 3; i++ {
		links = append(links, mailtest.FindLink(srv.WaitFor(t, kim.Email, 20*time.Second).Text, g.URL+"/password/reset?token="))
	}
	guessEverywhere(t, g, kim.Email)

	phone := from(t, "198.51.100.20")
	resp, body := askForReset(t, g, phone, kim.Email)
	if resp.StatusCode != http.StatusOK || mainOf(body) != mainOf(answers[0]) {
		t.Fatalf("the owner's request past the allowance answered %d; want the same page as before\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "use the newest mail") {
		t.Errorf("the page does not say to use the newest mail:\n%s", body)
	}
	if n := g.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'admission_recovery'`); n != 3 {
		t.Errorf("%d reset requests queued; want 3, none past the allowance", n)
	}
	var working []string
	for _, link := range links {
		if resp, _ := apptest.Get(t, phone, link); resp.StatusCode == http.StatusOK {
			working = append(working, link)
		}
	}
	if len(working) != 1 {
		t.Fatalf("%d of the links sent work; want the newest", len(working))
	}
	_, resetPage := apptest.Get(t, phone, working[0])
	const fresh = "kim's own new passphrase"
	if resp, body := apptest.Submit(t, phone, working[0], resetPage, "/password/reset", url.Values{"password": {fresh}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, body)
	}
	guessEverywhere(t, g, kim.Email)
	if resp, body := logIn(t, g, phone, kim.Email, fresh); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the browser that completed the reset is locked out by guessing after it: %d\n%s", resp.StatusCode, body)
	}
}

// guessEverywhere locks the email-wide login of email: 60 wrong passwords
// from as many addresses.
func guessEverywhere(t *testing.T, g *apptest.Gateway, email string) {
	t.Helper()
	for i := 0; i < 60; i++ {
		logIn(t, g, from(t, fmt.Sprintf("203.0.113.%d", 100+i)), email, "everywhere")
	}
	if resp, _ := logIn(t, g, from(t, "198.51.100.99"), email, "anything"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("guessing from 60 addresses left a new device unlocked: %d", resp.StatusCode)
	}
}

// mainOf is the page's own content, from <main> on.
func mainOf(body string) string {
	if _, after, ok := strings.Cut(body, "<main"); ok {
		return after
	}
	return body
}
