package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
)

// ErrNoMastodon is a sync asked of a coopgate whose Mastodon is not enabled.
var ErrNoMastodon = errors.New("federation: Mastodon is not enabled in the configuration (downstream.mastodon)")

// CompareArgs is the job that reads Mastodon's list, records it, and puts
// right toward the ledger what differs. The runner enqueues it every
// downstream.poll_interval; a moderator's "compare now" enqueues one too.
type CompareArgs struct{}

// Kind names the job in river_job.
func (CompareArgs) Kind() string { return "federation_compare" }

// InsertOpts: one attempt, as the next comparison is the retry; one
// waiting at a time.
func (CompareArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}}}
}

type compareWorker struct {
	river.WorkerDefaults[CompareArgs]
	s *Service
}

// Work compares. Mastodon's refusals and outages are recorded for the
// moderators' page rather than failing the job: the next one tries again.
func (w *compareWorker) Work(ctx context.Context, _ *river.Job[CompareArgs]) error {
	if w.s.mastodon == nil {
		return nil
	}
	diffs, err := w.s.compare(ctx)
	if de := downstream.AsError(err); de != nil {
		w.s.log.WarnContext(ctx, "federation: comparing with Mastodon", "error", err)
		return noteComparison(ctx, w.s.pool, de.Error())
	}
	if err != nil {
		return err
	}
	return database.InTx(ctx, w.s.pool, func(tx pgx.Tx) error {
		for _, d := range diffs {
			if !d.Fixable() {
				continue
			}
			if err := w.s.insertApply(ctx, tx, d.Domain, d.Decision.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// compare reads Mastodon's list, records it, and compares it with the ledger.
func (s *Service) compare(ctx context.Context) ([]Difference, error) {
	blocks, err := s.mastodon.DomainBlocks(ctx)
	if err != nil {
		return nil, err
	}
	remote := make([]RemoteBlock, 0, len(blocks))
	for _, b := range blocks {
		remote = append(remote, remoteOf(b))
	}
	if err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error { return replaceRemote(ctx, tx, remote) }); err != nil {
		return nil, err
	}
	latest, err := Latest(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	applied, err := AppliedStates(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	return Compare(latest, remote, applied), nil
}

// CompareNow enqueues a comparison at once, for a moderator who wants to
// see Mastodon's list as it is now, and records who asked.
func (s *Service) CompareNow(ctx context.Context, actor audit.Actor) error {
	if s.mastodon == nil {
		return ErrNoMastodon
	}
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := s.jobs.InsertTx(ctx, tx, CompareArgs{}, nil); err != nil {
			return fmt.Errorf("federation: enqueueing a comparison: %w", err)
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "federation.compare", SubjectType: "service", SubjectID: "mastodon"})
	})
}

// Differences compares Mastodon's list as last seen with the ledger, for
// the moderators' page.
func Differences(ctx context.Context, q database.Querier) ([]Difference, error) {
	latest, err := Latest(ctx, q)
	if err != nil {
		return nil, err
	}
	remote, err := RemoteBlocks(ctx, q)
	if err != nil {
		return nil, err
	}
	applied, err := AppliedStates(ctx, q)
	if err != nil {
		return nil, err
	}
	return Compare(latest, remote, applied), nil
}

// SyncLine is one domain in a sync: the difference, and on a real run
// what was done about it.
type SyncLine struct {
	Difference
	Outcome *Outcome // nil on a dry run, or when the difference is only shown
	Err     error    // Mastodon's refusal (safe to print)
}

// Sync compares Mastodon's list with the ledger here and now and, unless
// dryRun, puts right what differs toward the ledger, reporting each domain
// as it goes; blocks the ledger never decided are reported and left alone.
// A domain that fails is recorded for the moderators and gets a job that
// keeps trying. It stops only for coopgate's own errors (the database).
func (s *Service) Sync(ctx context.Context, dryRun bool, report func(SyncLine)) error {
	if s.mastodon == nil {
		return ErrNoMastodon
	}
	diffs, err := s.compare(ctx)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		line := SyncLine{Difference: d}
		if !dryRun && d.Fixable() {
			if err := s.syncOne(ctx, &line); err != nil {
				return err
			}
		}
		report(line)
	}
	return nil
}

func (s *Service) syncOne(ctx context.Context, line *SyncLine) error {
	out, err := s.Apply(ctx, line.Domain)
	line.Outcome, line.Err = &out, err
	if err != nil && downstream.AsError(err) == nil {
		return err
	}
	then, rerr := s.recordOutcome(ctx, line.Domain, out, err, false)
	if rerr != nil || (!then.retry && then.wait == 0) {
		return rerr
	}
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error { return s.insertApply(ctx, tx, line.Domain, line.Decision.ID) })
}

// AddWorkers registers the federation workers. They are registered even
// without a Mastodon, so jobs left from an earlier configuration are worked
// (and cancelled) rather than failing as unknown kinds.
func (s *Service) AddWorkers(workers *river.Workers) error {
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(workers, &applyWorker{s: s}) },
		func() error { return river.AddWorkerSafely(workers, &compareWorker{s: s}) },
		func() error { return river.AddWorkerSafely(workers, &digestWorker{s: s}) },
	} {
		if err := add(); err != nil {
			return fmt.Errorf("federation: %w", err)
		}
	}
	return nil
}

// PeriodicJobs are the comparison with Mastodon every `every` (when
// Mastodon is enabled) and the weekly review digest.
func (s *Service) PeriodicJobs(every time.Duration) []*river.PeriodicJob {
	out := []*river.PeriodicJob{river.NewPeriodicJob(weekly{day: time.Monday, hour: 8},
		func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil }, nil)}
	if s.mastodon != nil {
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return CompareArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	return out
}
