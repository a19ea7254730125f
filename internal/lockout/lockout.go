// Package lockout decides whether a password may be tried for an email from
// a client, and keeps the counts that decide it, so that guessing is slowed
// without handing anyone a way to lock a member out (OWASP's "slow down
// online guessing with device cookies"):
//
//   - per network: many failures from one client address, whatever the emails
//     (credential stuffing);
//   - per email and client address: fast guessing of one account from one
//     address locks that address out of that account only;
//   - per email, slowly: guessing one account from many addresses locks
//     unknown devices out for a while. Its rate is set so a trickle (one try
//     every 90 s, forever) never holds it, and a completed password reset
//     (or, later, a passkey or recovery-code login) clears it at once;
//   - the owner's known device (a signed device cookie from an earlier
//     successful login, see Devices) is exempt from the network and email
//     counts: its failures count against that device alone.
//
// The counts live in PostgreSQL (internal/ratelimit), shared by replicas,
// keyed by hashes. Nothing here knows whether an email has an account: an
// unknown address is throttled exactly as a known one.
package lockout

import (
	"context"
	"errors"
	"time"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/ratelimit"
)

// The rules. perEmail allows 60 failures an hour from unknown devices: a
// sustained rate of one a minute, which keeps online guessing of one
// account slow, while a trickle of one every 90 s stays below it.
var (
	perNetwork = ratelimit.Rule{Name: "login-fail-ip", Max: 50, Window: 15 * time.Minute}
	perPair    = ratelimit.Rule{Name: "login-fail-pair", Max: 10, Window: 15 * time.Minute}
	perEmail   = ratelimit.Rule{Name: "login-fail-email", Max: 60, Window: time.Hour}
	perDevice  = ratelimit.Rule{Name: "login-fail-device", Max: 10, Window: 15 * time.Minute}
)

// Attempt is one try of a password.
type Attempt struct {
	Email  string // normalised
	IP     string // the client's address
	Device string // a valid device cookie's id, for the person with Email; "" for none
}

func (a Attempt) pair() string { return a.Email + "\x00" + a.IP }

// Verdict is whether an attempt may go ahead.
type Verdict int

const (
	// Allowed: check the password.
	Allowed Verdict = iota
	// NetworkThrottled: too many failures from the client's address.
	NetworkThrottled
	// Locked: too many failures for this email (from this address, or from
	// everywhere and this is not the owner's known device).
	Locked
)

// Guard checks and counts attempts.
type Guard struct {
	db     database.Querier
	limits *ratelimit.Limiter
}

// New makes a Guard on db; now is the clock (time.Now outside tests).
func New(db database.Querier, now func() time.Time) *Guard {
	return &Guard{db: db, limits: ratelimit.NewWithClock(db, now)}
}

// Check says whether a may go ahead, without counting it.
func (g *Guard) Check(ctx context.Context, a Attempt) (Verdict, error) {
	if a.Device != "" {
		return g.verdict(ctx, Locked, check{perDevice, a.Device})
	}
	if v, err := g.verdict(ctx, NetworkThrottled, check{perNetwork, a.IP}); v != Allowed || err != nil {
		return v, err
	}
	return g.verdict(ctx, Locked, check{perPair, a.pair()}, check{perEmail, a.Email})
}

type check struct {
	rule    ratelimit.Rule
	subject string
}

func (g *Guard) verdict(ctx context.Context, over Verdict, checks ...check) (Verdict, error) {
	for _, c := range checks {
		exceeded, err := g.limits.Exceeded(ctx, c.rule, c.subject)
		if err != nil {
			return Allowed, err
		}
		if exceeded {
			return over, nil
		}
	}
	return Allowed, nil
}

// Failed counts a wrong password (or an unknown email).
func (g *Guard) Failed(ctx context.Context, a Attempt) error {
	checks := []check{{perNetwork, a.IP}, {perPair, a.pair()}, {perEmail, a.Email}}
	if a.Device != "" {
		checks = []check{{perDevice, a.Device}}
	}
	var errs []error
	for _, c := range checks {
		_, err := g.limits.Hit(ctx, c.rule, c.subject)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Succeeded forgets the failures of this address and device for the email.
// It leaves the email-wide count alone: the owner getting in from their own
// device must not hand a guesser a fresh allowance.
func (g *Guard) Succeeded(ctx context.Context, a Attempt) error {
	return errors.Join(ratelimit.Forget(ctx, g.db, perPair, a.pair()), ratelimit.Forget(ctx, g.db, perDevice, a.Device))
}

// Clear lifts the locks on email: the email-wide count, and the count of
// the address the person proved themselves from. A completed password
// reset calls it in its transaction (q), and so must a passkey or
// recovery-code login: whoever did that is the owner, and guesses made
// before are moot.
func Clear(ctx context.Context, q database.Querier, email, ip string) error {
	a := Attempt{Email: email, IP: ip}
	return errors.Join(ratelimit.Forget(ctx, q, perEmail, a.Email), ratelimit.Forget(ctx, q, perPair, a.pair()))
}
