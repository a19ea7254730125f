package provisioning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
)

// How long a job waits when a service asks it to (429, or 503 with
// Retry-After): at least a second, at most an hour, so a silly header can
// neither spin the job nor park it for days.
const (
	minSnooze = time.Second
	maxSnooze = time.Hour
)

type verdictKind int

const (
	verdictDone   verdictKind = iota // recorded, nothing more to do
	verdictFailed                    // no retry can help: the secretary must look
	verdictRetry                     // temporary: try again with backoff
	verdictSnooze                    // the service asked to wait
	verdictHeld                      // a setting on the service forbids it: wait for that to change
)

type verdict struct {
	kind verdictKind
	wait time.Duration
}

// record writes what a sync did, or why it failed, to downstream_accounts,
// and says what should happen next. lastAttempt turns a temporary failure
// into a lasting one. Errors that are not a service's (the database, say)
// are retried without touching the record: they are coopgate's to fix, not
// the secretary's.
func (p *Provisioner) record(ctx context.Context, t Target, out Outcome, err error, lastAttempt bool) (verdict, error) {
	if err == nil {
		if out.Skipped != "" {
			return verdict{kind: verdictDone}, nil
		}
		return verdict{kind: verdictDone}, p.recordSuccess(ctx, t, out.Account)
	}
	var de *downstream.Error
	if !errors.As(err, &de) {
		return verdict{kind: verdictRetry}, nil
	}
	switch {
	case de.Held():
		msg := de.Error() + " (coopgate tries again by itself once that is changed)"
		return verdict{kind: verdictHeld}, p.recordError(ctx, t, "needs_setting", msg)
	case de.Permanent():
		return verdict{kind: verdictFailed}, p.recordError(ctx, t, "failed", de.Error())
	case de.RetryAfter() > 0:
		wait := min(max(de.RetryAfter(), minSnooze), maxSnooze)
		msg := fmt.Sprintf("%s (asked to wait; trying again in %s)", de.Error(), wait.Round(time.Second))
		return verdict{kind: verdictSnooze, wait: wait}, p.recordError(ctx, t, "pending", msg)
	case lastAttempt:
		return verdict{kind: verdictFailed}, p.recordError(ctx, t, "failed", de.Error()+" (gave up after many attempts)")
	}
	return verdict{kind: verdictRetry}, p.recordError(ctx, t, "pending", de.Error()+" (trying again)")
}

// recordSuccess records the account. A member's account that is still
// suspended after an ensure or a reinstatement was suspended by someone
// else, which the note says. An account that was held by a setting and now
// went through proves the setting changed: the others it held go too.
func (p *Provisioner) recordSuccess(ctx context.Context, t Target, a downstream.Account) error {
	note := ""
	if a.State == downstream.StateSuspended && t.Action != ActionSuspend {
		note = NotOurSuspension
	}
	was, err := p.recordAccount(ctx, t, a, note)
	if err != nil || was != "needs_setting" {
		return err
	}
	_, err = p.releaseHeld(ctx, t.Service)
	return err
}

// recordAccount records the account and returns the state it was in before.
func (p *Provisioner) recordAccount(ctx context.Context, t Target, a downstream.Account, note string) (string, error) {
	var was string
	err := p.Pool.QueryRow(ctx, `
		WITH old AS (SELECT state FROM downstream_accounts WHERE person_id = $1 AND service = $2)
		INSERT INTO downstream_accounts (person_id, service, remote_id, state, last_error, last_synced_at, action)
		VALUES ($1, $2, $3, $4, $6, now(), $5)
		ON CONFLICT (person_id, service) DO UPDATE SET remote_id = $3, state = $4, last_error = $6,
			last_synced_at = now(), updated_at = now()
		RETURNING coalesce((SELECT state FROM old), '')`,
		t.PersonID, t.Service, a.RemoteID, string(a.State), string(t.Action), note).Scan(&was)
	if err != nil {
		return "", fmt.Errorf("downstream: recording %s account: %w", t.Service, err)
	}
	return was, nil
}

// recordError keeps the safe message (downstream.Error never holds a
// credential or a URL) for the secretary; remote_id and last_synced_at stay
// as the last success left them.
func (p *Provisioner) recordError(ctx context.Context, t Target, state, msg string) error {
	_, err := p.Pool.Exec(ctx, `
		INSERT INTO downstream_accounts (person_id, service, state, last_error, action) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (person_id, service) DO UPDATE SET state = $3, last_error = $4, updated_at = now()`,
		t.PersonID, t.Service, state, msg, string(t.Action))
	if err != nil {
		return fmt.Errorf("downstream: recording %s error: %w", t.Service, err)
	}
	return nil
}
