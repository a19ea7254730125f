package provisioning

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
)

// An account a service's setting holds (state needs_setting) waits without
// retries, because no backoff helps until someone changes that setting. It
// goes again when the secretary says the setting is changed (RetryHeld),
// when the periodic recheck's one probe per service goes through, or at the
// next `coopgate downstream sync`.

// RetryHeld enqueues again, now, every account on service that a setting
// held, and records who asked. It returns how many.
func (p *Provisioner) RetryHeld(ctx context.Context, service string, actor audit.Actor) (int, error) {
	if p.Service(service) == nil {
		return 0, ErrNotEnabled
	}
	var n int
	err := database.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		var err error
		if n, err = p.releaseHeldIn(ctx, tx, service); err != nil || n == 0 {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "downstream.retry_held", SubjectType: "service", SubjectID: service,
			After: map[string]any{"accounts": n}})
	})
	return n, err
}

// releaseHeld enqueues every held account on service, in a transaction of its own.
func (p *Provisioner) releaseHeld(ctx context.Context, service string) (int, error) {
	var n int
	err := database.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		var err error
		n, err = p.releaseHeldIn(ctx, tx, service)
		return err
	})
	return n, err
}

func (p *Provisioner) releaseHeldIn(ctx context.Context, tx pgx.Tx, service string) (int, error) {
	rows, err := tx.Query(ctx, `
		UPDATE downstream_accounts SET state = 'pending', last_error = '', updated_at = now()
		WHERE service = $1 AND state = 'needs_setting' RETURNING person_id::text, action`, service)
	if err != nil {
		return 0, fmt.Errorf("downstream: releasing held %s accounts: %w", service, err)
	}
	held, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Target, error) {
		t := Target{Service: service}
		return t, r.Scan(&t.PersonID, &t.Action)
	})
	if err != nil {
		return 0, fmt.Errorf("downstream: releasing held %s accounts: %w", service, err)
	}
	for _, t := range held {
		if t.Action == "" {
			t.Action = ActionEnsure
		}
		// The job that was held may still be finishing (it records before
		// River marks it cancelled): insertNow puts one more behind it.
		if err := p.insertNow(ctx, tx, t); err != nil {
			return 0, err
		}
	}
	return len(held), nil
}

// RecheckArgs is the periodic look at accounts held by a setting.
type RecheckArgs struct{}

// Kind names the job in river_job.
func (RecheckArgs) Kind() string { return "downstream_recheck" }

// InsertOpts: one attempt, as the next recheck is the retry.
func (RecheckArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// RecheckJob is the periodic recheck, when any service is enabled (else nil).
func (p *Provisioner) RecheckJob(every time.Duration) *river.PeriodicJob {
	if len(p.Services) == 0 {
		return nil
	}
	return periodic(every, RecheckArgs{})
}

type recheckWorker struct {
	river.WorkerDefaults[RecheckArgs]
	p *Provisioner
}

// Work enqueues, for each service, the account held longest, leaving it
// marked as held: one call tells whether the setting changed, and if it
// did, recordSuccess lets the others go.
func (w *recheckWorker) Work(ctx context.Context, _ *river.Job[RecheckArgs]) error {
	for _, svc := range w.p.Services {
		var t Target
		err := w.p.Pool.QueryRow(ctx, `SELECT person_id::text, action FROM downstream_accounts
			WHERE service = $1 AND state = 'needs_setting' ORDER BY updated_at LIMIT 1`, svc.Name()).Scan(&t.PersonID, &t.Action)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("downstream: recheck of %s: %w", svc.Name(), err)
		}
		t.Service = svc.Name()
		if t.Action == "" {
			t.Action = ActionEnsure
		}
		if err := database.InTx(ctx, w.p.Pool, func(tx pgx.Tx) error { return w.p.insertNow(ctx, tx, t) }); err != nil {
			return err
		}
	}
	return nil
}
