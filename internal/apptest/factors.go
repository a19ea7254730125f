package apptest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TOTP is an authenticator app a test set up through the pages.
type TOTP struct {
	Secret   string   // as the page shows it, spaces taken out
	Recovery []string // the recovery codes shown once with it (nil if the person had some)
}

var (
	secretOnPage = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)
	codeOnPage   = regexp.MustCompile(`<li><code>([0-9a-z-]+)</code></li>`)
)

// EnrolTOTP sets up an authenticator app for whoever is logged in to
// browser, as a person does: the key from /account/totp, then its code.
func EnrolTOTP(t testing.TB, g *Gateway, browser *http.Client) TOTP {
	t.Helper()
	_, body := Get(t, browser, g.URL+"/account/totp")
	m := secretOnPage.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the set-up page:\n%s", body)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	resp, body := Submit(t, browser, g.URL+"/account/totp", body, "/account/totp", url.Values{"code": {TOTPCode(t, secret, time.Now())}})
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirming the app: %d\n%s", resp.StatusCode, body)
	}
	return TOTP{Secret: secret, Recovery: RecoveryCodesOn(body)}
}

// RecoveryCodesOn are the recovery codes a page shows.
func RecoveryCodesOn(body string) []string {
	var codes []string
	for _, m := range codeOnPage.FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// TOTPCode is what an authenticator app with secret shows at.
func TOTPCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// PasskeyOptions asks for a passkey ceremony's options as
// /static/passkey.js does: a POST to path with the CSRF token of the form
// with action in body (the page at pageURL).
func PasskeyOptions(t testing.TB, browser *http.Client, pageURL, body, action, path string) (*http.Response, []byte) {
	t.Helper()
	f, err := FindForm(body, action)
	if err != nil {
		t.Fatalf("%s: %v", pageURL, err)
	}
	target, _ := url.Parse(pageURL)
	target, _ = target.Parse(path)
	req, _ := http.NewRequest(http.MethodPost, target.String(), nil)
	req.Header.Set("X-CSRF-Token", f.Values.Get("csrf_token"))
	req.Header.Set("Origin", target.Scheme+"://"+target.Host)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	return resp, []byte(readBody(t, resp))
}
