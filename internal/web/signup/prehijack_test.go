package signup_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// The red team's pre-account hijack (/var/tmp/rt/t_prehijack.py): someone
// signs up with an address they cannot read, with a password they know,
// and waits for the owner to confirm it. Whatever the owner then does, the
// account that results has the owner's password, never theirs.

// squat is the attacker's sign-up for the victim's address; it returns the
// attacker's password.
func squat(t *testing.T, e *env, victim string) string {
	t.Helper()
	a := newApplicant(victim, "squat")
	a.Password = "attacker knows this"
	resp, body := e.signUp(t, apptest.Browser(t), a)
	wantStatus(t, resp, body, http.StatusOK)
	e.link(t, victim, "/verify?token=") // mailed to the victim, whom the attacker waits for
	return a.Password
}

// TestOwnersRecoveryOfASquattedAddress is the red team's sequence: the
// owner signs up too (and is answered as any new address is), then uses
// "forgot password" and follows the link. The link confirms the address
// with the password the owner chooses there; the attacker's opens nothing.
func TestOwnersRecoveryOfASquattedAddress(t *testing.T) {
	t.Parallel()
	e := start(t)
	const victim = "victim@example.coop"
	attackers := squat(t, e, victim)

	owner := apptest.Browser(t)
	own := newApplicant(victim, "realvic")
	own.Password = "victims own password"
	respPending, bodyPending := e.signUp(t, owner, own)
	zed := newApplicant("zed@example.coop", "zed")
	respNew, bodyNew := e.signUp(t, apptest.Browser(t), zed)
	if respPending.StatusCode != respNew.StatusCode || sameShape(bodyPending, victim) != sameShape(bodyNew, zed.Email) ||
		headerShape(respPending.Header) != headerShape(respNew.Header) {
		t.Errorf("a sign-up for an address whose sign-up waits is answered unlike one for a new address")
	}
	msg, _ := e.link(t, victim, "/verify?token=")
	if !strings.Contains(msg.Subject, "Confirm your email address") {
		t.Errorf("the owner's sign-up was mailed %q; want a link confirming it", msg.Subject)
	}

	resp, body := e.forgot(t, victim)
	wantStatus(t, resp, body, http.StatusOK)
	msg, link := e.link(t, victim, "/password/reset?token=")
	if !strings.Contains(msg.Subject, "choose a password") {
		t.Errorf("the recovery mail for an address still to be confirmed is %q", msg.Subject)
	}
	browser := apptest.Browser(t)
	_, page := apptest.Get(t, browser, link)
	const chosen = "the owner's chosen password"
	resp, body = apptest.Submit(t, browser, link, page, "/password/reset", url.Values{"password": {chosen}})
	wantStatus(t, resp, body, http.StatusOK)

	if resp := logInWith(t, e, apptest.Browser(t), victim, attackers); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the attacker's password answered %d; want 401", resp.StatusCode)
	}
	if resp := logInWith(t, e, apptest.Browser(t), victim, chosen); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the password the owner chose answered %d; want a login", resp.StatusCode)
	}
	if p := e.person(t, victim); p.Username != "realvic" || !p.EmailVerified {
		t.Errorf("the account is %+v; want the owner's sign-up, confirmed", p)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_events WHERE action IN ('person.sign_up_replace', 'person.confirm_sign_up')`); n != 2 {
		t.Errorf("%d audit events of the replacement and confirmation; want 2", n)
	}
}

// TestSquatterSigningUpAgainGainsNothing: the attacker signs up once more
// after the owner, so the newest link in the owner's mailbox confirms the
// attacker's sign-up. Followed in the owner's browser it asks for the
// password the owner will log in with, and that is the password.
func TestSquatterSigningUpAgainGainsNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	const victim = "vee@example.coop"
	squat(t, e, victim)
	owner := apptest.Browser(t)
	own := newApplicant(victim, "vee")
	e.signUp(t, owner, own)
	_, ownersLink := e.link(t, victim, "/verify?token=")
	again := newApplicant(victim, "squat2")
	again.Password = "attacker again"
	e.signUp(t, apptest.Browser(t), again)
	_, newest := e.link(t, victim, "/verify?token=")

	if resp, _ := apptest.Get(t, owner, ownersLink); resp.StatusCode != http.StatusGone {
		t.Errorf("the owner's link after a newer sign-up: %d; want 410, replaced", resp.StatusCode)
	}
	resp, body := apptest.Submit(t, owner, newest, mustGet(t, owner, newest), "/verify", nil)
	wantStatus(t, resp, body, http.StatusUnprocessableEntity)
	const chosen = "vee's own password"
	resp, body = e.verifyWith(t, owner, newest, url.Values{"password": {chosen}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirming with the owner's password: %d\n%s", resp.StatusCode, body)
	}
	if resp := logInWith(t, e, apptest.Browser(t), victim, again.Password); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the attacker's password answered %d; want 401", resp.StatusCode)
	}
	if resp := logInWith(t, e, apptest.Browser(t), victim, chosen); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the owner's password answered %d; want a login", resp.StatusCode)
	}
}

func mustGet(t *testing.T, c *http.Client, link string) string {
	t.Helper()
	resp, body := apptest.Get(t, c, link)
	wantStatus(t, resp, body, http.StatusOK)
	return body
}
