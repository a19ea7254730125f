package login_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

// TestPasswordResetEndsALoginAwaitingItsSecondFactor: someone who gave
// ann's password and waits at the second factor is out once ann resets
// her password, as every logged-in session of hers is: a code they get
// hold of after it no longer logs them in.
func TestPasswordResetEndsALoginAwaitingItsSecondFactor(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	app := apptest.EnrolTOTP(t, g, g.LoggedIn(t, ann))
	srv.WaitFor(t, ann.Email, 20*time.Second) // the app's mail

	thief := apptest.Browser(t)
	pageURL, body := toSecondFactor(t, g, r, thief, apptest.NewFlow(), ann)

	owner := apptest.Browser(t)
	_, forgot := apptest.Get(t, owner, g.URL+"/password/forgot")
	apptest.Submit(t, owner, g.URL+"/password/forgot", forgot, "/password/forgot", url.Values{"email": {ann.Email}})
	link := mailtest.FindLink(srv.WaitFor(t, ann.Email, 20*time.Second).Text, g.URL+"/password/reset?token=")
	_, resetPage := apptest.Get(t, owner, link)
	if resp, b := apptest.Submit(t, owner, link, resetPage, "/password/reset", url.Values{"password": {"a brand new passphrase"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, b)
	}

	code := apptest.TOTPCode(t, app.Secret, time.Now().Add(30*time.Second)) // the enrolment spent this step's
	resp, _ := apptest.Submit(t, thief, pageURL, body, "/login/second-factor", url.Values{"code": {code}})
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login" {
		t.Errorf("a code after the password was reset: %d %v; want sent to log in again", resp.StatusCode, loc)
	}
	if n := g.Count(t, "SELECT count(*) FROM web_sessions WHERE person_id = $1", ann.ID); n != 0 {
		t.Errorf("%d sessions of ann after her reset; want none", n)
	}
}
