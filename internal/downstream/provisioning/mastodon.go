package provisioning

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/people"
)

// RejectArgs is the job that rejects a pending Mastodon sign-up of someone
// coopgate has not admitted. Only the account id is kept: the job looks the
// sign-up up again when it runs, so no stranger's email sits in river_job.
type RejectArgs struct {
	AccountID string `json:"account_id" river:"unique"`
}

// Kind names the job in river_job.
func (RejectArgs) Kind() string { return "mastodon_reject" }

// InsertOpts makes the job unique per account while unfinished.
func (RejectArgs) InsertOpts() river.InsertOpts { return accountInsertOpts() }

type rejectWorker struct {
	river.WorkerDefaults[RejectArgs]
	p *Provisioner
}

// Work rejects the sign-up if it still waits and its email still belongs
// to nobody admitted (they may have been admitted since).
func (w *rejectWorker) Work(ctx context.Context, job *river.Job[RejectArgs]) error {
	m := w.p.mastodon()
	if m == nil {
		return river.JobCancel(errors.New("downstream: mastodon is not enabled any more"))
	}
	pending, err := m.PendingAccounts(ctx)
	if err != nil {
		return serviceError(err)
	}
	for _, a := range pending {
		if a.ID != job.Args.AccountID {
			continue
		}
		if ok, err := w.p.admittedEmail(ctx, a.Email); err != nil || ok {
			return err
		}
		w.p.Log.InfoContext(ctx, "rejecting a Mastodon sign-up of someone not admitted", "account_id", a.ID)
		return serviceError(m.Reject(ctx, a.ID))
	}
	return nil // approved or gone since
}

func (w *rejectWorker) NextRetry(job *river.Job[RejectArgs]) time.Time {
	return w.p.nextRetry(job.JobRow)
}

// serviceError turns a service's error into River's terms for jobs that
// have no account row to record it in.
func serviceError(err error) error {
	var de *downstream.Error
	switch {
	case err == nil || !errors.As(err, &de):
		return err
	case de.Permanent():
		return river.JobCancel(err)
	case de.RetryAfter() > 0:
		return river.JobSnooze(min(max(de.RetryAfter(), minSnooze), maxSnooze))
	}
	return err
}

// PollArgs is the periodic look at Mastodon that stands in for a missed
// webhook.
type PollArgs struct{}

// Kind names the job in river_job.
func (PollArgs) Kind() string { return "mastodon_poll" }

// InsertOpts: one attempt, as the next poll is the retry.
func (PollArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// PollJob is the periodic poll, when Mastodon is enabled (else nil).
func (p *Provisioner) PollJob(every time.Duration) *river.PeriodicJob {
	if p.mastodon() == nil {
		return nil
	}
	return periodic(every, PollArgs{})
}

// periodic is a job River enqueues every interval; one attempt each, as the
// next run is the retry.
func periodic(every time.Duration, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, nil }, nil)
}

type pollWorker struct {
	river.WorkerDefaults[PollArgs]
	p *Provisioner
}

// missingBatch caps how many members without a Mastodon account one poll
// looks for, oldest look first, so a large co-op is covered over a few polls.
const missingBatch = 50

// Work rejects pending sign-ups of people not admitted (if configured),
// then enqueues an ensure for every admitted person with a pending sign-up
// (to approve it) and for members whose account was missing when last
// looked for (Mastodon makes it at their first login).
func (w *pollWorker) Work(ctx context.Context, _ *river.Job[PollArgs]) error {
	m := w.p.mastodon()
	if m == nil {
		return nil
	}
	rejected, err := m.SweepPending(ctx, w.p.admittedEmail)
	if len(rejected) > 0 {
		w.p.Log.InfoContext(ctx, "rejected Mastodon sign-ups of people not admitted", "count", len(rejected))
	}
	if err != nil {
		return err
	}
	pending, err := m.PendingAccounts(ctx)
	if err != nil {
		return err
	}
	ids, err := w.p.pendingMembers(ctx, pending)
	if err != nil {
		return err
	}
	missing, err := w.p.missingOnMastodon(ctx)
	if err != nil {
		return err
	}
	return w.p.ensureMastodon(ctx, append(ids, missing...))
}

// pendingMembers are the admitted people among the pending sign-ups.
func (p *Provisioner) pendingMembers(ctx context.Context, pending []mastodon.AdminAccount) ([]string, error) {
	var ids []string
	for _, a := range pending {
		person, err := admittedByEmail(ctx, p.Pool, a.Email)
		if err != nil {
			return nil, err
		}
		if person != nil {
			ids = append(ids, person.ID)
		}
	}
	return ids, nil
}

func (p *Provisioner) missingOnMastodon(ctx context.Context) ([]string, error) {
	rows, err := p.Pool.Query(ctx, `SELECT person_id::text FROM downstream_accounts
		WHERE service = 'mastodon' AND state = 'missing' ORDER BY last_synced_at NULLS FIRST`)
	if err != nil {
		return nil, fmt.Errorf("downstream: members missing on mastodon: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("downstream: members missing on mastodon: %w", err)
	}
	who, err := people.ByIDs(ctx, p.Pool, ids)
	if err != nil {
		return nil, err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return who[id] == nil || who[id].Status != people.Admitted })
	return ids[:min(len(ids), missingBatch)], nil
}

// ensureMastodon enqueues ensure jobs without marking the accounts pending:
// a poll looks, it does not announce a change.
func (p *Provisioner) ensureMastodon(ctx context.Context, personIDs []string) error {
	if len(personIDs) == 0 {
		return nil
	}
	return database.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		for _, id := range personIDs {
			if _, err := p.insert(ctx, tx, Target{PersonID: id, Service: "mastodon", Action: ActionEnsure}); err != nil {
				return err
			}
		}
		return nil
	})
}

// admittedEmail says whether email is the verified email of someone admitted.
func (p *Provisioner) admittedEmail(ctx context.Context, email string) (bool, error) {
	person, err := admittedByEmail(ctx, p.Pool, email)
	return person != nil, err
}

func admittedByEmail(ctx context.Context, q database.Querier, email string) (*people.Person, error) {
	if email == "" {
		return nil, nil
	}
	person, err := people.ByEmail(ctx, q, email)
	switch {
	case errors.Is(err, people.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case person.Status != people.Admitted || !person.EmailVerified:
		return nil, nil
	}
	return person, nil
}
