package login_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

// how is what a relying party learns of a login: amr and acr, from the ID
// token and from userinfo (through coreos/go-oidc, as a service reads them).
type how struct {
	AMR []string `json:"amr"`
	ACR string   `json:"acr"`
}

func howLoggedIn(t *testing.T, r *apptest.RP, f apptest.Flow, code string) (idToken, userinfo how) {
	t.Helper()
	ctx := context.Background()
	tok, err := r.OAuth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if err := r.VerifyIDToken(t, tok, f.Nonce).Claims(&idToken); err != nil {
		t.Fatal(err)
	}
	info, err := r.Provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if err := info.Claims(&userinfo); err != nil {
		t.Fatal(err)
	}
	return idToken, userinfo
}

func wantHow(t *testing.T, what string, got how, amr []string, acr string) {
	t.Helper()
	if !slices.Equal(got.AMR, amr) || got.ACR != acr {
		t.Errorf("%s: amr %q acr %q; want %q %q", what, got.AMR, got.ACR, amr, acr)
	}
}

// codeFrom is the code in a redirect to the relying party.
func codeFrom(t *testing.T, resp *http.Response, body string) string {
	t.Helper()
	loc, _ := resp.Location()
	if loc == nil || !strings.HasPrefix(loc.String(), apptest.RedirectURI) || loc.Query().Get("code") == "" {
		t.Fatalf("%d at %s, %v; want a code at the relying party\n%s", resp.StatusCode, resp.Request.URL, loc, body)
	}
	return loc.Query().Get("code")
}

// toSecondFactor logs in with the password from the relying party and
// returns the second-factor page it leads to.
func toSecondFactor(t *testing.T, g *apptest.Gateway, r *apptest.RP, browser *http.Client, f apptest.Flow, p apptest.Person) (string, string) {
	t.Helper()
	resp := apptest.LogIn(t, browser, g.URL, r.AuthURL(f), p.Email, p.Password)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/login/second-factor" {
		t.Fatalf("after the password: %d at %s; want the second-factor page", resp.StatusCode, resp.Request.URL)
	}
	_, body := apptest.Get(t, browser, resp.Request.URL.String())
	return resp.Request.URL.String(), body
}

func submitFollow(t *testing.T, g *apptest.Gateway, browser *http.Client, pageURL, body, action string, fields url.Values) (*http.Response, string) {
	t.Helper()
	resp, body := apptest.Submit(t, browser, pageURL, body, action, fields)
	return apptest.Follow(t, browser, g.URL, resp, body)
}

// TestAuthenticatorAppLogin: with an app set up, the password leads to the
// code, and only the code to the relying party, which is told both factors
// were used; a code works once; a password alone is told as such.
func TestAuthenticatorAppLogin(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")

	f := apptest.NewFlow()
	laptop := apptest.Browser(t)
	idToken, userinfo := howLoggedIn(t, r, f, r.Code(t, laptop, f, ann.Email, ann.Password))
	wantHow(t, "a password login's ID token", idToken, []string{"pwd"}, "pwd")
	wantHow(t, "a password login's userinfo", userinfo, []string{"pwd"}, "pwd")

	app := apptest.EnrolTOTP(t, g, laptop)
	if len(app.Recovery) != 10 {
		t.Fatalf("%d recovery codes shown with the first factor; want 10", len(app.Recovery))
	}
	if msg := srv.WaitFor(t, ann.Email, 20*time.Second); !strings.Contains(msg.Text, "An authenticator app was set up") {
		t.Errorf("the mail of the change says:\n%s", msg.Text)
	}

	phone := apptest.Browser(t)
	f = apptest.NewFlow()
	pageURL, body := toSecondFactor(t, g, r, phone, f, ann)
	if n := g.Count(t, "SELECT count(*) FROM web_sessions WHERE person_id = $1", ann.ID); n != 1 {
		t.Errorf("%d sessions of ann after the password alone; want only the laptop's", n)
	}
	resp, b := submitFollow(t, g, phone, pageURL, body, "/login/second-factor", url.Values{"code": {"000000"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "That code is not right") {
		t.Fatalf("a wrong code: %d", resp.StatusCode)
	}
	code := apptest.TOTPCode(t, app.Secret, time.Now().Add(30*time.Second)) // the enrolment spent this step's
	resp, b = submitFollow(t, g, phone, pageURL, body, "/login/second-factor", url.Values{"code": {code}})
	idToken, userinfo = howLoggedIn(t, r, f, codeFrom(t, resp, b))
	wantHow(t, "a login with the app: ID token", idToken, []string{"pwd", "otp", "mfa"}, "mfa")
	wantHow(t, "a login with the app: userinfo", userinfo, []string{"pwd", "otp", "mfa"}, "mfa")

	// Someone who saw the code over ann's shoulder has her password too.
	thief := apptest.Browser(t)
	pageURL, body = toSecondFactor(t, g, r, thief, apptest.NewFlow(), ann)
	resp, b = submitFollow(t, g, thief, pageURL, body, "/login/second-factor", url.Values{"code": {code}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "has been used already") {
		t.Errorf("the same code again: %d; want 401 saying it was used", resp.StatusCode)
	}
	if n := g.Count(t, "SELECT count(*) FROM web_sessions WHERE person_id = $1", ann.ID); n != 2 {
		t.Errorf("%d sessions of ann; want the laptop's and the phone's", n)
	}
}

// TestRecoveryCodeLogsInOnce: a recovery code stands in for the app, once,
// and the person is told it was used.
func TestRecoveryCodeLogsInOnce(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	app := apptest.EnrolTOTP(t, g, g.LoggedIn(t, ann))
	srv.WaitFor(t, ann.Email, 20*time.Second) // the app's mail

	f := apptest.NewFlow()
	borrowed := apptest.Browser(t)
	pageURL, body := toSecondFactor(t, g, r, borrowed, f, ann)
	resp, b := submitFollow(t, g, borrowed, pageURL, body, "/login/second-factor/recovery", url.Values{"recovery_code": {app.Recovery[3]}})
	idToken, _ := howLoggedIn(t, r, f, codeFrom(t, resp, b))
	wantHow(t, "a login with a recovery code", idToken, []string{"pwd", "otp", "mfa"}, "mfa")
	if msg := srv.WaitFor(t, ann.Email, 20*time.Second); !strings.Contains(msg.Text, "A recovery code was used to log in to your account. 9 are left.") {
		t.Errorf("the mail of the use says:\n%s", msg.Text)
	}

	again := apptest.Browser(t)
	pageURL, body = toSecondFactor(t, g, r, again, apptest.NewFlow(), ann)
	resp, b = submitFollow(t, g, again, pageURL, body, "/login/second-factor/recovery", url.Values{"recovery_code": {app.Recovery[3]}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(b, "That recovery code is not right, or it has been used already") {
		t.Errorf("the same recovery code again: %d", resp.StatusCode)
	}
}

// TestAcrValuesAskForASecondFactor: a relying party that asks for one
// (acr_values=mfa) gets a login with one, or an error for someone who has
// none (OpenID Connect Core Unmet Authentication Requirements); a session
// from before the person set one up gives it before going on.
func TestAcrValuesAskForASecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	bob := g.CreateMember(t, "bob@example.coop", "bob")
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	askMFA := func(f apptest.Flow, extra ...string) string {
		u := r.AuthURL(f) + "&acr_values=" + url.QueryEscape("mfa pwd")
		for _, e := range extra {
			u += "&" + e
		}
		return u
	}

	f := apptest.NewFlow()
	resp := apptest.LogIn(t, apptest.Browser(t), g.URL, askMFA(f), bob.Email, bob.Password)
	loc, _ := resp.Location()
	if loc == nil || loc.Query().Get("error") != "unmet_authentication_requirements" || loc.Query().Get("state") != f.State {
		t.Errorf("bob, who has no second factor: %d %v; want unmet_authentication_requirements at the relying party", resp.StatusCode, loc)
	}

	old := apptest.Browser(t)
	r.Code(t, old, apptest.NewFlow(), ann.Email, ann.Password) // a session with the password alone
	app := apptest.EnrolTOTP(t, g, g.LoggedIn(t, ann))

	resp, body := apptest.Get(t, old, askMFA(apptest.NewFlow(), "prompt=none"))
	resp, _ = apptest.Follow(t, old, g.URL, resp, body)
	if loc, _ := resp.Location(); loc == nil || loc.Query().Get("error") != "interaction_required" {
		t.Errorf("prompt=none from the old session: %v; want interaction_required", loc)
	}
	f = apptest.NewFlow()
	resp, body = apptest.Get(t, old, askMFA(f))
	resp, body = apptest.Follow(t, old, g.URL, resp, body)
	if resp.Request.URL.Path != "/login/second-factor" {
		t.Fatalf("the old session, asked for a second factor: at %s", resp.Request.URL)
	}
	resp, body = submitFollow(t, g, old, resp.Request.URL.String(), body, "/login/second-factor",
		url.Values{"code": {apptest.TOTPCode(t, app.Secret, time.Now().Add(30*time.Second))}})
	idToken, userinfo := howLoggedIn(t, r, f, codeFrom(t, resp, body))
	wantHow(t, "a step-up's ID token", idToken, []string{"pwd", "otp", "mfa"}, "mfa")
	wantHow(t, "a step-up's userinfo", userinfo, []string{"pwd", "otp", "mfa"}, "mfa")
}
