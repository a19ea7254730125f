package lockout

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/pgtest"
)

// clock is a test's time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newGuard(t *testing.T) (*Guard, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	return New(pgtest.New(t), c.now), c
}

const owner = "ann@example.coop"

// attack is one guess by someone who checks first, as the login page does:
// a refused guess is not counted.
func attack(t *testing.T, g *Guard, a Attempt) Verdict {
	t.Helper()
	ctx := context.Background()
	v, err := g.Check(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if v == Allowed {
		if err := g.Failed(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func verdict(t *testing.T, g *Guard, a Attempt) Verdict {
	t.Helper()
	v, err := g.Check(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestATrickleNeverLocksTheOwnerOut plays out a day of one wrong try every
// 90 s, from ever-changing addresses: the owner, from their own address and
// a device coopgate has never seen, can log in at any moment.
func TestATrickleNeverLocksTheOwnerOut(t *testing.T) {
	t.Parallel()
	g, c := newGuard(t)
	ownerAt := Attempt{Email: owner, IP: "198.51.100.7"}
	for i := 0; i < 24*40; i++ {
		attack(t, g, Attempt{Email: owner, IP: fmt.Sprintf("203.0.113.%d", i%200)})
		c.t = c.t.Add(90 * time.Second)
		if v := verdict(t, g, ownerAt); v != Allowed {
			t.Fatalf("after %d tries in %s, one every 90 s, the owner is refused (%d)", i+1, time.Duration(i+1)*90*time.Second, v)
		}
	}
}

// TestOneAddressLocksOnlyItself: fast guessing from one address locks that
// address out of that account, not the owner elsewhere, nor that address
// out of other accounts.
func TestOneAddressLocksOnlyItself(t *testing.T) {
	t.Parallel()
	g, _ := newGuard(t)
	guesser := Attempt{Email: owner, IP: "203.0.113.9"}
	for i := 0; i < 10; i++ {
		if v := attack(t, g, guesser); v != Allowed {
			t.Fatalf("guess %d refused", i+1)
		}
	}
	if v := verdict(t, g, guesser); v != Locked {
		t.Errorf("after 10 failures the guessing address is not locked out (%d)", v)
	}
	if v := verdict(t, g, Attempt{Email: owner, IP: "198.51.100.7"}); v != Allowed {
		t.Errorf("10 failures from one address lock the owner out from another (%d)", v)
	}
	if v := verdict(t, g, Attempt{Email: "bob@example.coop", IP: guesser.IP}); v != Allowed {
		t.Errorf("the guessing address is locked out of other accounts too (%d)", v)
	}
}

// TestGuessingFromEverywhereSparesTheOwnersDevice: many addresses guessing
// fast lock unknown devices out, but not the owner's known device; a
// completed reset (Clear) lets the owner in from anywhere at once.
func TestGuessingFromEverywhereSparesTheOwnersDevice(t *testing.T) {
	t.Parallel()
	g, c := newGuard(t)
	for i := 0; i < 100; i++ {
		attack(t, g, Attempt{Email: owner, IP: fmt.Sprintf("203.0.113.%d", i)})
		c.t = c.t.Add(5 * time.Second)
	}
	newDevice := Attempt{Email: owner, IP: "198.51.100.7"}
	if v := verdict(t, g, newDevice); v != Locked {
		t.Fatalf("100 failures in 8 minutes from 100 addresses do not lock unknown devices out (%d)", v)
	}
	knownDevice := Attempt{Email: owner, IP: "198.51.100.7", Device: "ann-laptop"}
	if v := verdict(t, g, knownDevice); v != Allowed {
		t.Errorf("the owner's known device is locked out too (%d)", v)
	}
	// The owner's own typos on their device count against that device only.
	for i := 0; i < 3; i++ {
		attack(t, g, knownDevice)
	}
	if err := Clear(context.Background(), g.db, owner, newDevice.IP); err != nil {
		t.Fatal(err)
	}
	if v := verdict(t, g, newDevice); v != Allowed {
		t.Errorf("after a completed reset the owner is still locked out (%d)", v)
	}
}

// TestSuccessKeepsTheEmailWideCount: the owner getting in from their device
// does not give the guessers a fresh allowance.
func TestSuccessKeepsTheEmailWideCount(t *testing.T) {
	t.Parallel()
	g, _ := newGuard(t)
	for i := 0; i < 60; i++ {
		attack(t, g, Attempt{Email: owner, IP: fmt.Sprintf("203.0.113.%d", i)})
	}
	if err := g.Succeeded(context.Background(), Attempt{Email: owner, IP: "198.51.100.7", Device: "ann-laptop"}); err != nil {
		t.Fatal(err)
	}
	if v := verdict(t, g, Attempt{Email: owner, IP: "203.0.113.250"}); v != Locked {
		t.Errorf("the owner's login lifted the lock on guessers (%d)", v)
	}
}

func TestNetworkThrottle(t *testing.T) {
	t.Parallel()
	g, _ := newGuard(t)
	for i := 0; i < 50; i++ {
		attack(t, g, Attempt{Email: fmt.Sprintf("p%d@example.coop", i), IP: "203.0.113.9"})
	}
	if v := verdict(t, g, Attempt{Email: "new@example.coop", IP: "203.0.113.9"}); v != NetworkThrottled {
		t.Errorf("50 failures for 50 accounts from one address: %d, want NetworkThrottled", v)
	}
	if v := verdict(t, g, Attempt{Email: "new@example.coop", IP: "203.0.113.9", Device: "their-phone"}); v != Allowed {
		t.Errorf("a known device behind a busy address is throttled (%d)", v)
	}
}

func TestDeviceCookies(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	d := NewDevices([]byte("0123456789abcdef0123456789abcdef"), true, c.now)
	cookie := d.Cookie("person-a")
	if !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode || cookie.Name != "__Host-coopgate-device" || cookie.Path != "/" {
		t.Errorf("cookie attributes: %+v", cookie)
	}
	with := func(value string) *http.Request {
		r := httptest.NewRequest("POST", "/login", nil)
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: value})
		return r
	}
	if id := d.Known(with(cookie.Value), "person-a"); id == "" {
		t.Fatal("a fresh cookie is not known")
	}
	if id := d.Known(with(cookie.Value), "person-b"); id != "" {
		t.Error("a cookie for one person exempts another")
	}
	other := NewDevices([]byte("another key, another deployment.."), true, c.now)
	forged := other.Cookie("person-a").Value
	if id := d.Known(with(forged), "person-a"); id != "" {
		t.Error("a cookie signed with another key is known")
	}
	if id := d.Known(with(cookie.Value[:len(cookie.Value)-2]+"xx"), "person-a"); id != "" {
		t.Error("a tampered cookie is known")
	}
	c.t = c.t.Add(DeviceLifetime + time.Hour)
	if id := d.Known(with(cookie.Value), "person-a"); id != "" {
		t.Error("a cookie older than DeviceLifetime is known")
	}
}
