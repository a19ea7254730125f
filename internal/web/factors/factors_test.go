package factors_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

// TestAuthenticatorAppSetUpWithoutJavaScript: the set-up page carries its
// QR code as an image in the page and the key as text, and no script.
func TestAuthenticatorAppSetUpWithoutJavaScript(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	resp, body := apptest.Get(t, g.LoggedIn(t, ann), g.URL+"/account/totp")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("set-up page: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	for _, want := range []string{`src="data:image/png;base64,iVBORw0KGgo`, `id="totp-secret"`, `action="/account/totp"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the set-up page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script") {
		t.Error("the set-up page has a script")
	}
}

// TestChangesNeedTheSecondFactor: once a person has a second factor, a
// session opened without it (before it was set up, on another device) may
// not add or remove factors, or make new codes: it is sent to give it.
func TestChangesNeedTheSecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	old := g.LoggedIn(t, ann)
	apptest.EnrolTOTP(t, g, g.LoggedIn(t, ann))

	_, body := apptest.Get(t, old, g.URL+"/account/second-factor")
	if !strings.Contains(body, "To change these, first") {
		t.Error("the old session's page does not say changes need the second factor")
	}
	for _, action := range []string{"/account/totp/remove", "/account/recovery-codes"} {
		resp, _ := apptest.Submit(t, old, g.URL+"/account/second-factor", body, action, nil)
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/login/second-factor" {
			t.Errorf("%s from the old session: %d %v; want sent to give the second factor", action, resp.StatusCode, loc)
		}
	}
	if resp, _ := apptest.Get(t, old, g.URL+"/account/totp"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("setting up from the old session: %d", resp.StatusCode)
	}
	if n := g.Count(t, "SELECT count(*) FROM second_factor_totp WHERE person_id = $1 AND confirmed_at IS NOT NULL", ann.ID); n != 1 {
		t.Error("the old session removed the app")
	}
	if n := g.Count(t, "SELECT count(*) FROM second_factor_recovery_codes WHERE person_id = $1 AND used_at IS NULL", ann.ID); n != 10 {
		t.Errorf("%d recovery codes; want the first 10", n)
	}
}

// TestEveryChangeIsMailed: setting up, new recovery codes and removal each
// tell the person, and the page says what happened.
func TestEveryChangeIsMailed(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	browser := g.LoggedIn(t, ann)
	app := apptest.EnrolTOTP(t, g, browser)
	wantMail(t, srv, ann.Email, "An authenticator app was set up")

	pageURL := g.URL + "/account/second-factor"
	_, body := apptest.Get(t, browser, pageURL)
	resp, codes := apptest.Submit(t, browser, pageURL, body, "/account/recovery-codes", nil)
	fresh := apptest.RecoveryCodesOn(codes)
	if resp.StatusCode != http.StatusOK || len(fresh) != 10 || fresh[0] == app.Recovery[0] {
		t.Fatalf("new recovery codes: %d, %v", resp.StatusCode, fresh)
	}
	wantMail(t, srv, ann.Email, "New recovery codes were made")

	_, body = apptest.Get(t, browser, pageURL)
	resp, _ = apptest.Submit(t, browser, pageURL, body, "/account/totp/remove", nil)
	resp, body = apptest.Follow(t, browser, g.URL, resp, "")
	if !strings.Contains(body, "The authenticator app is removed") || strings.Contains(body, "left;") {
		t.Errorf("after removing: %d\n%s", resp.StatusCode, body)
	}
	wantMail(t, srv, ann.Email, "The authenticator app was removed")
	if n := g.Count(t, "SELECT count(*) FROM second_factor_recovery_codes WHERE person_id = $1", ann.ID); n != 0 {
		t.Errorf("%d recovery codes outlived the only factor", n)
	}
}

func wantMail(t *testing.T, srv *mailtest.Server, to, text string) {
	t.Helper()
	msg := srv.WaitFor(t, to, 20*time.Second)
	if !strings.Contains(msg.Text, text) || !strings.Contains(msg.Subject, "second factors") {
		t.Errorf("mail %q does not say %q:\n%s", msg.Subject, text, msg.Text)
	}
}

// TestPasswordResetKeepsTheSecondFactor: a new password does not take the
// second factor away; the next login still asks for it.
func TestPasswordResetKeepsTheSecondFactor(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	apptest.EnrolTOTP(t, g, g.LoggedIn(t, ann))
	srv.WaitFor(t, ann.Email, 20*time.Second)

	browser := apptest.Browser(t)
	_, forgot := apptest.Get(t, browser, g.URL+"/password/forgot")
	apptest.Submit(t, browser, g.URL+"/password/forgot", forgot, "/password/forgot", url.Values{"email": {ann.Email}})
	link := mailtest.FindLink(srv.WaitFor(t, ann.Email, 20*time.Second).Text, g.URL+"/password/reset?token=")
	_, resetPage := apptest.Get(t, browser, link)
	const fresh = "a brand new passphrase"
	if resp, body := apptest.Submit(t, browser, link, resetPage, "/password/reset", url.Values{"password": {fresh}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, body)
	}
	_, login := apptest.Get(t, browser, g.URL+"/login")
	resp, _ := apptest.Submit(t, browser, g.URL+"/login", login, "/login", url.Values{"email": {ann.Email}, "password": {fresh}})
	if loc, _ := resp.Location(); loc == nil || loc.Path != "/login/second-factor" {
		t.Errorf("the login after a password reset: %d %v; want the second factor asked", resp.StatusCode, loc)
	}
}
