// Package downstream owns the contract between coopgate and the services its
// members use (Mastodon, Discourse, GitLab): the one small Service interface
// the job runner drives, the account states it reports, and the error type
// that tells the job runner whether a failed call is worth retrying and when.
//
// Each service lives in its own subpackage and talks to that service's admin
// API only. This package must not know about storage, jobs or the web; it
// must never put a credential in an error or a log line.
package downstream

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Person is who an account belongs to, in coopgate's words.
type Person struct {
	Subject  string // the OIDC sub: stable, opaque, never reused
	Username string // valid on Mastodon, immutable once admitted
	Email    string // verified by coopgate
	Name     string
	Groups   []string // e.g. member, a membership class, secretary
	// FormerEmails are addresses the person had before changing their
	// email in coopgate; an account a service still has under one of them
	// is theirs.
	FormerEmails []string
}

// Owns says whether email is the person's, now or before.
func (p Person) Owns(email string) bool {
	if email == "" {
		return false
	}
	if strings.EqualFold(email, p.Email) {
		return true
	}
	return slices.ContainsFunc(p.FormerEmails, func(e string) bool { return strings.EqualFold(e, email) })
}

// State is where a person's account on a service stands.
type State string

const (
	StateActive    State = "active"    // the person can log in and use it
	StatePending   State = "pending"   // it exists but waits for approval
	StateSuspended State = "suspended" // coopgate (or a moderator) shut it
	StateMissing   State = "missing"   // it does not exist (yet)
)

// Account is a person's account on one service.
type Account struct {
	RemoteID string // the service's own id, empty when missing
	State    State
	// Before is the state Suspend found the account in (suspended already,
	// by the service's moderators or by coopgate earlier); the other methods
	// leave it empty.
	Before State
}

// Service is what the job runner needs from each downstream service. Every
// method is idempotent: the job runner retries after any error, and a call
// repeated after success changes nothing.
type Service interface {
	// Name is "mastodon", "discourse" or "gitlab".
	Name() string
	// Ensure finds the person's account, creating it where the service lets
	// coopgate do that, and approves it if it waits for approval. It never
	// lifts a suspension: that is Reinstate's job.
	Ensure(ctx context.Context, p Person) (Account, error)
	// Suspend stops the person from using the account (Discourse also ends
	// their sessions), giving the service text as the reason, and reports
	// the state it found in Account.Before. An account that does not exist
	// is reported as missing.
	Suspend(ctx context.Context, p Person, text string) (Account, error)
	// Reinstate lifts the account's suspension. The caller asks only for a
	// suspension coopgate made: a moderator's own stays.
	Reinstate(ctx context.Context, p Person) (Account, error)
}

// ErrNotFound says the service has no account for the person. The clients
// use it internally; Service methods report a missing account as
// StateMissing, not as an error.
var ErrNotFound = errors.New("downstream: account not found")
