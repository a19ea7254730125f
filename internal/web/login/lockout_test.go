package login_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
)

// from makes browsers that reach the gateway through a trusted proxy on
// behalf of the client address ip (the test gateway trusts loopback).
func from(t *testing.T, ip string) *http.Client {
	c := apptest.Browser(t)
	c.Transport = forwardedFor{ip}
	return c
}

type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}

func logIn(t *testing.T, g *apptest.Gateway, c *http.Client, email, password string) (*http.Response, string) {
	t.Helper()
	_, body := apptest.Get(t, c, g.URL+"/login")
	return apptest.Submit(t, c, g.URL+"/login", body, "/login", url.Values{"email": {email}, "password": {password}})
}

func behindLoopbackProxy(c *config.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} }

// TestLockoutIsNoWeapon: guessing a member's password from one address, or
// from many, does not keep the member out: their known device gets in, and a
// completed password reset lifts the lock, as the page promises.
func TestLockoutIsNoWeapon(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv), behindLoopbackProxy)
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	g.AcceptAllPolicies(t, ann.ID)

	laptop := from(t, "198.51.100.7")
	resp, _ := logIn(t, g, laptop, ann.Email, ann.Password)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first login: %d", resp.StatusCode)
	}
	var device *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "coopgate-device" {
			device = c
		}
	}
	if device == nil || !device.HttpOnly || device.SameSite != http.SameSiteStrictMode || device.MaxAge < 86400 {
		t.Fatalf("a login sets no lasting HttpOnly, SameSite=Strict device cookie: %+v", device)
	}

	guesser := from(t, "203.0.113.9")
	for i := 0; i < 10; i++ {
		if resp, body := logIn(t, g, guesser, ann.Email, fmt.Sprintf("guess %d", i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d answered %d\n%s", i+1, resp.StatusCode, body)
		}
	}
	if resp, _ := logIn(t, g, guesser, ann.Email, "guess 11"); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the guessing address is not locked out after 10 failures: %d", resp.StatusCode)
	}
	if resp, body := logIn(t, g, from(t, "198.51.100.8"), ann.Email, ann.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 10 failures from another address the owner, on a new device, is refused: %d\n%s", resp.StatusCode, body)
	}

	for i := 0; i < 60; i++ {
		logIn(t, g, from(t, fmt.Sprintf("203.0.113.%d", 100+i)), ann.Email, "everywhere")
	}
	phone := from(t, "198.51.100.9")
	resp, body := logIn(t, g, phone, ann.Email, ann.Password)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "reset your password: a completed reset lifts this at once") {
		t.Fatalf("after guessing from 60 addresses a new device got %d; want 429 saying a reset lifts it\n%s", resp.StatusCode, body)
	}
	// The laptop's session has ended since; its device cookie stays.
	laptopLater := from(t, "198.51.100.7")
	base, _ := url.Parse(g.URL)
	laptopLater.Jar.SetCookies(base, []*http.Cookie{device})
	if resp, body := logIn(t, g, laptopLater, ann.Email, ann.Password); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the owner's known device is locked out too: %d\n%s", resp.StatusCode, body)
	}

	_, forgot := apptest.Get(t, phone, g.URL+"/password/forgot")
	apptest.Submit(t, phone, g.URL+"/password/forgot", forgot, "/password/forgot", url.Values{"email": {ann.Email}})
	msg := srv.WaitFor(t, ann.Email, 20*time.Second)
	link := mailtest.FindLink(msg.Text, g.URL+"/password/reset?token=")
	_, resetPage := apptest.Get(t, phone, link)
	const fresh = "a brand new passphrase"
	if resp, body := apptest.Submit(t, phone, link, resetPage, "/password/reset", url.Values{"password": {fresh}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := logIn(t, g, phone, ann.Email, fresh); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after a completed reset the lock still holds: %d\n%s", resp.StatusCode, body)
	}
}
