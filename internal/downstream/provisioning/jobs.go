package provisioning

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Action is what a job asks of one account.
type Action string

// The account actions, one River job kind each.
const (
	ActionEnsure    Action = "ensure"    // find or create it, approve it; never lift a suspension
	ActionSuspend   Action = "suspend"   // membership ended
	ActionReinstate Action = "reinstate" // lift coopgate's suspension, then ensure
)

// Target is one account job: an action on a person's account on a service.
type Target struct {
	PersonID string
	Service  string
	Action   Action
}

// maxAttempts with River's default backoff (attempt⁴ seconds) keeps trying
// for about three weeks: a service that is down for days delays the change,
// it does not lose it.
const maxAttempts = 25

// jobTimeout bounds one run. An ensure on Discourse makes up to seven calls
// of downstream.DefaultTimeout each; a reconcile may repeat them.
const jobTimeout = 5 * time.Minute

// accountInsertOpts makes an account job unique by its `river:"unique"`
// args while it is unfinished: a second insert then is skipped. Completed,
// cancelled and discarded jobs are left out, so a later change (or the
// secretary's Retry) enqueues afresh.
func accountInsertOpts() river.InsertOpts {
	unfinished := []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	}
	return river.InsertOpts{MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: unfinished}}
}

// EnsureArgs is the job that ensures a person's account on a service.
type EnsureArgs struct {
	PersonID string `json:"person_id" river:"unique"`
	Service  string `json:"service" river:"unique"`
}

// Kind names the job in river_job.
func (EnsureArgs) Kind() string { return "downstream_ensure" }

// InsertOpts makes the job unique per person and service while unfinished.
func (EnsureArgs) InsertOpts() river.InsertOpts { return accountInsertOpts() }

func (a EnsureArgs) target() Target {
	return Target{PersonID: a.PersonID, Service: a.Service, Action: ActionEnsure}
}

// SuspendArgs is the job that suspends a former member's account. It
// carries no reason: the services get the configured neutral text, and the
// secretary's words stay in the audit log (jobs made by an older coopgate
// may still have a "reason", which is ignored).
type SuspendArgs struct {
	PersonID string `json:"person_id" river:"unique"`
	Service  string `json:"service" river:"unique"`
}

// Kind names the job in river_job.
func (SuspendArgs) Kind() string { return "downstream_suspend" }

// InsertOpts makes the job unique per person and service while unfinished.
func (SuspendArgs) InsertOpts() river.InsertOpts { return accountInsertOpts() }

func (a SuspendArgs) target() Target {
	return Target{PersonID: a.PersonID, Service: a.Service, Action: ActionSuspend}
}

// ReinstateArgs is the job that lifts a reinstated member's suspension.
type ReinstateArgs struct {
	PersonID string `json:"person_id" river:"unique"`
	Service  string `json:"service" river:"unique"`
}

// Kind names the job in river_job.
func (ReinstateArgs) Kind() string { return "downstream_reinstate" }

// InsertOpts makes the job unique per person and service while unfinished.
func (ReinstateArgs) InsertOpts() river.InsertOpts { return accountInsertOpts() }

func (a ReinstateArgs) target() Target {
	return Target{PersonID: a.PersonID, Service: a.Service, Action: ActionReinstate}
}

// args is the job for t.
func (t Target) args() river.JobArgs {
	switch t.Action {
	case ActionSuspend:
		return SuspendArgs{PersonID: t.PersonID, Service: t.Service}
	case ActionReinstate:
		return ReinstateArgs{PersonID: t.PersonID, Service: t.Service}
	}
	return EnsureArgs{PersonID: t.PersonID, Service: t.Service}
}

type accountArgs interface {
	river.JobArgs
	target() Target
}

// accountWorker works one of the three account job kinds; they differ only
// in the action they start from.
type accountWorker[T accountArgs] struct {
	river.WorkerDefaults[T]
	p *Provisioner
}

func (w *accountWorker[T]) Work(ctx context.Context, job *river.Job[T]) error {
	return w.p.work(ctx, job.JobRow, job.Args.target())
}

func (w *accountWorker[T]) NextRetry(job *river.Job[T]) time.Time { return w.p.nextRetry(job.JobRow) }

func (w *accountWorker[T]) Timeout(*river.Job[T]) time.Duration { return jobTimeout }

func (p *Provisioner) nextRetry(row *rivertype.JobRow) time.Time {
	if p.RetryPolicy == nil {
		return time.Time{} // River's client policy
	}
	return p.RetryPolicy.NextRetry(row)
}

// AddWorkers registers every downstream worker. They are registered even
// when no service is enabled, so jobs left from an earlier configuration
// are worked (and cancelled) rather than failing as unknown kinds.
func (p *Provisioner) AddWorkers(workers *river.Workers) error {
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(workers, &accountWorker[EnsureArgs]{p: p}) },
		func() error { return river.AddWorkerSafely(workers, &accountWorker[SuspendArgs]{p: p}) },
		func() error { return river.AddWorkerSafely(workers, &accountWorker[ReinstateArgs]{p: p}) },
		func() error { return river.AddWorkerSafely(workers, &rejectWorker{p: p}) },
		func() error { return river.AddWorkerSafely(workers, &pollWorker{p: p}) },
		func() error { return river.AddWorkerSafely(workers, &recheckWorker{p: p}) },
	} {
		if err := add(); err != nil {
			return fmt.Errorf("downstream: %w", err)
		}
	}
	return nil
}

// PeriodicJobs are the jobs the runner enqueues every interval: the
// Mastodon poll and the recheck of held accounts, for the services enabled.
func (p *Provisioner) PeriodicJobs(every time.Duration) []*river.PeriodicJob {
	var out []*river.PeriodicJob
	for _, job := range []*river.PeriodicJob{p.PollJob(every), p.RecheckJob(every)} {
		if job != nil {
			out = append(out, job)
		}
	}
	return out
}
