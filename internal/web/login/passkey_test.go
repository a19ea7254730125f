package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/secondfactor/passkeytest"
)

// addPasskey adds a passkey held by device for whoever is logged in to
// browser, through the page as /static/passkey.js does, and returns the
// page it leads to.
func addPasskey(t *testing.T, g *apptest.Gateway, browser *http.Client, device *passkeytest.Authenticator, name string) (*http.Response, string) {
	t.Helper()
	pageURL := g.URL + "/account/second-factor"
	_, body := apptest.Get(t, browser, pageURL)
	resp, options := apptest.PasskeyOptions(t, browser, pageURL, body, "/account/passkeys", "/account/passkeys/options")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("creation options: %d %q\n%s", resp.StatusCode, resp.Header.Get("Cache-Control"), options)
	}
	return apptest.Submit(t, browser, pageURL, body, "/account/passkeys",
		url.Values{"name": {name}, "credential": {string(device.Create(t, options))}})
}

// passkeyAnswer begins a login with a passkey on the login page the
// relying party sent browser to, and returns the page and the device's
// answer.
func passkeyAnswer(t *testing.T, g *apptest.Gateway, r *apptest.RP, browser *http.Client, f apptest.Flow, device *passkeytest.Authenticator) (string, string, []byte) {
	t.Helper()
	resp, body := apptest.Get(t, browser, r.AuthURL(f))
	resp, body = apptest.Follow(t, browser, g.URL, resp, body)
	if resp.Request.URL.Path != "/login" || !strings.Contains(body, "Log in with a passkey") {
		t.Fatalf("at %s, without the passkey button", resp.Request.URL)
	}
	pageURL := resp.Request.URL.String()
	_, options := apptest.PasskeyOptions(t, browser, pageURL, body, "/login/passkey", "/login/passkey/options")
	return pageURL, body, device.Get(t, options)
}

// TestPasskeyLogsInWithoutAPassword: a member adds a passkey from their
// account, and then logs in to the relying party with it alone, which is
// told it was two factors; the answer works once, only in the browser
// whose session asked for it.
func TestPasskeyLogsInWithoutAPassword(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, apptest.OnLocalhost)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	phone := passkeytest.New(g.Config.Issuer)

	resp, body := addPasskey(t, g, g.LoggedIn(t, ann), passkeytest.New(g.Config.Issuer), "")
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Give this passkey a name") {
		t.Fatalf("a passkey without a name: %d", resp.StatusCode)
	}
	resp, body = addPasskey(t, g, g.LoggedIn(t, ann), phone, "Ann's phone")
	if resp.StatusCode != http.StatusOK || len(apptest.RecoveryCodesOn(body)) != 10 {
		t.Fatalf("adding a passkey: %d, %d recovery codes shown\n%s", resp.StatusCode, len(apptest.RecoveryCodesOn(body)), body)
	}

	f := apptest.NewFlow()
	browser := apptest.Browser(t)
	pageURL, page, answer := passkeyAnswer(t, g, r, browser, f, phone)
	if resp, _ := apptest.Submit(t, apptest.Browser(t), pageURL, page, "/login/passkey", url.Values{"credential": {string(answer)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the answer posted from another browser: %d; want 403 (no session, no CSRF cookie)", resp.StatusCode)
	}
	resp, body = submitFollow(t, g, browser, pageURL, page, "/login/passkey", url.Values{"credential": {string(answer)}})
	idToken, userinfo := howLoggedIn(t, r, f, codeFrom(t, resp, body))
	wantHow(t, "a passkey login's ID token", idToken, []string{"hwk", "mfa"}, "mfa")
	wantHow(t, "a passkey login's userinfo", userinfo, []string{"hwk", "mfa"}, "mfa")

	// Replayed, even in the browser that made it (here without the relying
	// party's login, which is spent), the answer finds no challenge.
	resp, body = apptest.Submit(t, browser, pageURL, page, "/login/passkey", url.Values{"credential": {string(answer)}, "id": {""}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That passkey did not log you in") {
		t.Errorf("the answer again: %d", resp.StatusCode)
	}
	// Another browser's answer, to its own challenge, posted in this one.
	other := apptest.Browser(t)
	_, _, theirs := passkeyAnswer(t, g, r, other, apptest.NewFlow(), phone)
	stranger := apptest.Browser(t)
	pageURL, page, _ = passkeyAnswer(t, g, r, stranger, apptest.NewFlow(), phone)
	if resp, _ := apptest.Submit(t, stranger, pageURL, page, "/login/passkey", url.Values{"credential": {string(theirs)}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an answer to another session's challenge: %d; want 401", resp.StatusCode)
	}
}

// TestPasskeyAsSecondFactor: after the password, a passkey of the person's
// own is the second factor.
func TestPasskeyAsSecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, apptest.OnLocalhost)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	key := passkeytest.New(g.Config.Issuer)
	key.Synced = true
	addPasskey(t, g, g.LoggedIn(t, ann), key, "Password manager")

	f := apptest.NewFlow()
	browser := apptest.Browser(t)
	pageURL, body := toSecondFactor(t, g, r, browser, f, ann)
	if strings.Contains(body, `action="/login/second-factor"`) || !strings.Contains(body, "Use your passkey") {
		t.Fatalf("the second-factor page of someone with only a passkey:\n%s", body)
	}
	_, options := apptest.PasskeyOptions(t, browser, pageURL, body, "/login/second-factor/passkey", "/login/second-factor/passkey/options")
	resp, b := submitFollow(t, g, browser, pageURL, body, "/login/second-factor/passkey", url.Values{"credential": {string(key.Get(t, options))}})
	idToken, _ := howLoggedIn(t, r, f, codeFrom(t, resp, b))
	wantHow(t, "password and passkey", idToken, []string{"pwd", "swk", "mfa"}, "mfa")
}
