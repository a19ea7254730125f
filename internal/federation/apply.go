package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
)

// ApplyArgs is the job that carries a domain's decision out on Mastodon.
// It carries out the domain's latest decision when it runs, so a job for an
// older decision is harmless; it names its decision so that a new decision
// gets a job of its own even while an older one runs.
type ApplyArgs struct {
	Domain     string `json:"domain" river:"unique"`
	DecisionID int64  `json:"decision_id" river:"unique"`
}

// Kind names the job in river_job.
func (ApplyArgs) Kind() string { return "federation_apply" }

// applyAttempts with River's default backoff (attempt⁴ seconds) keeps
// trying for about three weeks: a Mastodon that is down delays a decision,
// it does not lose it.
const applyAttempts = 25

// InsertOpts makes the job unique while unfinished.
func (ApplyArgs) InsertOpts() river.InsertOpts {
	unfinished := []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}
	return river.InsertOpts{MaxAttempts: applyAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: unfinished}}
}

// How long a job waits when Mastodon asks it to (429): at least a second,
// at most an hour.
const (
	minSnooze = time.Second
	maxSnooze = time.Hour
)

// enqueueApply marks d on its way to Mastodon and enqueues its job in tx;
// without a Mastodon it does nothing.
func (s *Service) enqueueApply(ctx context.Context, tx pgx.Tx, d Decision) error {
	if s.mastodon == nil {
		return nil
	}
	if err := markApplied(ctx, tx, d.Domain, d.ID, statePending, ""); err != nil {
		return err
	}
	return s.insertApply(ctx, tx, d.Domain, d.ID)
}

// insertApply enqueues the job for decision id of domain in tx, unless one
// is waiting already. One that is running may have read Mastodon before
// the change this job is for (or be done, with River yet to mark it so):
// one more goes in behind it, at most one a minute.
func (s *Service) insertApply(ctx context.Context, tx pgx.Tx, domain string, id int64) error {
	args := ApplyArgs{Domain: domain, DecisionID: id}
	res, err := s.jobs.InsertTx(ctx, tx, args, nil)
	if err == nil && res.UniqueSkippedAsDuplicate && res.Job.State == rivertype.JobStateRunning {
		opts := args.InsertOpts()
		opts.UniqueOpts.ByPeriod = time.Minute
		_, err = s.jobs.InsertTx(ctx, tx, args, &opts)
	}
	if err != nil {
		return fmt.Errorf("federation: enqueueing %s: %w", domain, err)
	}
	return nil
}

type applyWorker struct {
	river.WorkerDefaults[ApplyArgs]
	s *Service
}

// Work carries the domain's latest decision out and records how it went.
func (w *applyWorker) Work(ctx context.Context, job *river.Job[ApplyArgs]) error {
	s := w.s
	if s.mastodon == nil {
		return river.JobCancel(errors.New("federation: mastodon is not enabled any more"))
	}
	out, err := s.Apply(ctx, job.Args.Domain)
	last := job.Attempt >= job.MaxAttempts
	next, rerr := s.recordOutcome(ctx, job.Args.Domain, out, err, last)
	if rerr != nil {
		return rerr // River retries; the calls are idempotent
	}
	switch {
	case next.wait > 0:
		return river.JobSnooze(next.wait)
	case next.cancel:
		s.log.WarnContext(ctx, "federation job failed for good", "job_id", job.ID, "domain", job.Args.Domain, "error", err)
		return river.JobCancel(err)
	case next.retry:
		s.log.InfoContext(ctx, "federation job will retry", "job_id", job.ID, "attempt", job.Attempt, "domain", job.Args.Domain, "error", err)
		return err
	}
	return nil
}

func (w *applyWorker) NextRetry(job *river.Job[ApplyArgs]) time.Time {
	if w.s.retry == nil {
		return time.Time{}
	}
	return w.s.retry.NextRetry(job.JobRow)
}

// Outcome is what carrying a decision out did.
type Outcome struct {
	Decision *Decision // the decision carried out; nil when the domain has none
	State    string    // applied or covered
	Note     string    // what was done, or the block that covers it
}

// The states of federation_applied.
const (
	statePending = "pending"
	stateApplied = "applied"
	stateCovered = "covered"
	stateFailed  = "failed"
)

// maxRounds bounds how often one run follows decisions that keep coming
// while it works.
const maxRounds = 3

// Apply makes Mastodon match domain's latest decision. If a newer decision
// is recorded while it works, it carries that one out too, so that the last
// call any job makes is for the latest decision. Every call is idempotent.
func (s *Service) Apply(ctx context.Context, domain string) (Outcome, error) {
	for range maxRounds {
		d, err := LatestFor(ctx, s.pool, domain)
		if err != nil || d == nil {
			return Outcome{}, err
		}
		out, err := s.carryOut(ctx, *d)
		if err != nil {
			return Outcome{Decision: d}, err
		}
		now, err := LatestFor(ctx, s.pool, domain)
		if err != nil || now.ID == d.ID {
			return out, err
		}
	}
	return Outcome{}, errors.New("federation: decisions kept coming during the sync; trying again")
}

func (s *Service) carryOut(ctx context.Context, d Decision) (Outcome, error) {
	if d.Action == Lift {
		return s.lift(ctx, d)
	}
	params := blockParams(d)
	made, err := s.mastodon.CreateDomainBlock(ctx, params)
	if err == nil {
		return Outcome{Decision: &d, State: stateApplied, Note: "blocked"}, saveRemote(ctx, s.pool, made)
	}
	existing, ok := mastodon.IsExistingBlock(err)
	switch {
	case !ok:
		return Outcome{}, err
	case existing.Existing.Domain != d.Domain:
		return Outcome{Decision: &d, State: stateCovered, Note: "covered by Mastodon's block of " + existing.Existing.Domain},
			saveRemote(ctx, s.pool, existing.Existing)
	case sameBlock(remoteOf(existing.Existing), d):
		return Outcome{Decision: &d, State: stateApplied, Note: "already in place"}, saveRemote(ctx, s.pool, existing.Existing)
	}
	updated, err := s.mastodon.UpdateDomainBlock(ctx, existing.Existing.ID, params)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Decision: &d, State: stateApplied, Note: "changed to match the decision"}, saveRemote(ctx, s.pool, updated)
}

// lift deletes Mastodon's block of the domain, if it has one.
func (s *Service) lift(ctx context.Context, d Decision) (Outcome, error) {
	blocks, err := s.mastodon.DomainBlocks(ctx)
	if err != nil {
		return Outcome{}, err
	}
	for _, b := range blocks {
		if b.Domain != d.Domain {
			continue
		}
		if err := s.mastodon.DeleteDomainBlock(ctx, b.ID); err != nil {
			return Outcome{}, err
		}
		return Outcome{Decision: &d, State: stateApplied, Note: "lifted"}, forgetRemote(ctx, s.pool, d.Domain)
	}
	return Outcome{Decision: &d, State: stateApplied, Note: "not blocked on Mastodon"}, forgetRemote(ctx, s.pool, d.Domain)
}

// blockParams is what Mastodon is told for d: its settings, the public
// reason, and a private comment that says where the block comes from.
func blockParams(d Decision) mastodon.BlockParams {
	return mastodon.BlockParams{Domain: d.Domain, Severity: string(d.Severity), RejectMedia: d.RejectMedia,
		RejectReports: d.RejectReports, Obfuscate: d.Obfuscate, PublicComment: d.PublicReason,
		PrivateComment: fmt.Sprintf("Decided in coopgate (decision %d, ground %s): %s", d.ID, d.Ground, d.Reference)}
}

// next is what the job runner should do after an outcome is recorded.
type next struct {
	retry  bool
	cancel bool
	wait   time.Duration
}

// recordOutcome writes how carrying the decision out went to
// federation_applied, for the moderators, and says what happens next. An
// error that is not Mastodon's (the database) is retried without a record:
// it is coopgate's to fix, not the moderators'.
func (s *Service) recordOutcome(ctx context.Context, domain string, out Outcome, err error, lastAttempt bool) (next, error) {
	if err == nil {
		if out.Decision == nil {
			return next{}, nil
		}
		return next{}, markApplied(ctx, s.pool, domain, out.Decision.ID, out.State, out.Note)
	}
	de := downstream.AsError(err)
	if de == nil || out.Decision == nil {
		return next{retry: true}, nil
	}
	id := out.Decision.ID
	switch {
	case de.Permanent():
		return next{cancel: true}, markApplied(ctx, s.pool, domain, id, stateFailed, de.Error())
	case de.RetryAfter() > 0:
		wait := min(max(de.RetryAfter(), minSnooze), maxSnooze)
		msg := fmt.Sprintf("%s (asked to wait; trying again in %s)", de.Error(), wait.Round(time.Second))
		return next{wait: wait}, markApplied(ctx, s.pool, domain, id, statePending, msg)
	case lastAttempt:
		return next{cancel: true}, markApplied(ctx, s.pool, domain, id, stateFailed, de.Error()+" (gave up after many attempts)")
	}
	return next{retry: true}, markApplied(ctx, s.pool, domain, id, statePending, de.Error()+" (trying again)")
}

// markApplied records where carrying decision id out stands, unless a
// newer decision's state is recorded already.
func markApplied(ctx context.Context, q database.Querier, domain string, id int64, state, note string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO federation_applied (domain, decision_id, state, note) VALUES ($1, $2, $3, $4)
		ON CONFLICT (domain) DO UPDATE SET decision_id = $2, state = $3, note = $4, updated_at = now()
		WHERE federation_applied.decision_id <= $2`, domain, id, state, note)
	if err != nil {
		return fmt.Errorf("federation: recording %s: %w", domain, err)
	}
	return nil
}
