package membership

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// The scan runs every hour on one replica (a periodic River job, unique by
// hour): it settles ceased_on dates that have come, enqueues the dues
// notices that are due, one job each, and, when the co-op asked for it,
// ends lapsed memberships. A notice is mailed once per person, paid-until
// date and notice: its job is unique by those (River keeps a finished one
// for a while), and, beyond that, dues_notices records it in the
// transaction that queues its mail, so no replica and no restart sends it
// again.

// scanEvery is how often the scan runs.
const scanEvery = time.Hour

// ScanArgs is the periodic scan.
type ScanArgs struct{}

// Kind names the job in river_job.
func (ScanArgs) Kind() string { return "membership_scan" }

// InsertOpts keeps one scan per hour across replicas.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: scanEvery}}
}

// NoticeArgs is one dues notice to one person.
type NoticeArgs struct {
	PersonID  string `json:"person_id" river:"unique"`
	PaidUntil string `json:"paid_until" river:"unique"` // YYYY-MM-DD
	Notice    string `json:"notice" river:"unique"`     // due-30, due-7, passed
}

// Kind names the job in river_job.
func (NoticeArgs) Kind() string { return "membership_dues_notice" }

// InsertOpts makes a notice unique by its args in every state, finished
// ones included, for as long as River keeps them.
func (NoticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable,
		rivertype.JobStateScheduled, rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded,
	}}}
}

// PeriodicJobs is the hourly scan, run at start too.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(scanEvery),
		func() (river.JobArgs, *river.InsertOpts) { return ScanArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// AddWorkers registers the scan's and the notices' workers with the bundle
// of the runner, which is made after s.
func AddWorkers(workers *river.Workers, s *Service) error {
	if err := river.AddWorkerSafely(workers, &scanWorker{s: s}); err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &noticeWorker{s: s}); err != nil {
		return fmt.Errorf("membership: %w", err)
	}
	return nil
}

type scanWorker struct {
	river.WorkerDefaults[ScanArgs]
	s *Service
}

func (w *scanWorker) Work(ctx context.Context, _ *river.Job[ScanArgs]) error { return w.s.Scan(ctx) }

type noticeWorker struct {
	river.WorkerDefaults[NoticeArgs]
	s *Service
}

func (w *noticeWorker) Work(ctx context.Context, job *river.Job[NoticeArgs]) error {
	return w.s.SendNotice(ctx, job.Args)
}

// Scan settles the register's dates, enqueues the dues notices due today
// and, with end_after_grace, ends lapsed memberships. Running it twice, on
// two replicas at once or after a restart, does nothing more.
func (s *Service) Scan(ctx context.Context) error {
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		_, err := s.Reconcile(ctx, tx, "the register's ceased_on date", audit.System)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.enqueueNotices(ctx); err != nil {
		return err
	}
	if s.Policy.EndAfterGrace {
		return s.endLapsed(ctx)
	}
	return nil
}

// enqueueNotices inserts a job for each notice due today and not sent yet.
func (s *Service) enqueueNotices(ctx context.Context) error {
	today := s.today()
	due, err := people.AdmittedPaidUntilBy(ctx, s.Pool, today.AddDate(0, 0, s.Policy.maxReminderDays()))
	if err != nil {
		return err
	}
	var params []river.InsertManyParams
	for _, p := range due {
		if notice := s.Policy.NoticeDue(*p.PaidUntil, today); notice != "" {
			params = append(params, river.InsertManyParams{Args: NoticeArgs{PersonID: p.ID,
				PaidUntil: Day(*p.PaidUntil).Format(time.DateOnly), Notice: notice}})
		}
	}
	if len(params) == 0 {
		return nil
	}
	if _, err := s.Jobs.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("membership: enqueueing dues notices: %w", err)
	}
	return nil
}

// SendNotice mails one dues notice, unless it went out already or is no
// longer due (paid meanwhile, ended, or a nearer reminder is due now): the
// record of it and its mail commit together.
func (s *Service) SendNotice(ctx context.Context, n NoticeArgs) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByIDForUpdate(ctx, tx, n.PersonID)
		if errors.Is(err, people.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		today := s.today()
		if p.Status != people.Admitted || p.PaidUntil == nil || Day(*p.PaidUntil).Format(time.DateOnly) != n.PaidUntil ||
			s.Policy.NoticeDue(*p.PaidUntil, today) != n.Notice {
			return nil
		}
		tag, err := tx.Exec(ctx, `INSERT INTO dues_notices (person_id, paid_until, notice) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, p.ID, *p.PaidUntil, n.Notice)
		if err != nil {
			return fmt.Errorf("membership: recording dues notice: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // sent already
		}
		if err := s.Mail.Send(ctx, tx, p.Email, s.noticeMail(p, n.Notice, today)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.System, audit.Event{Action: "membership.dues_notice", SubjectType: "person",
			SubjectID: p.ID, After: map[string]any{"notice": n.Notice, "paid_until": n.PaidUntil}})
	})
}

func (s *Service) noticeMail(p *people.Person, notice string, today time.Time) mail.Data {
	if notice == noticePassed {
		return mail.DuesOverdue{Name: p.Name, PaidUntil: LongDate(*p.PaidUntil),
			GraceUntil: LongDate(s.Policy.GraceUntil(*p.PaidUntil)), Pay: s.Policy.HowToPay}
	}
	return mail.DuesReminder{Name: p.Name, PaidUntil: LongDate(*p.PaidUntil),
		DaysLeft: daysBetween(today, *p.PaidUntil), Pay: s.Policy.HowToPay}
}

// endLapsed ends each lapsed membership, one transaction each, as the
// system: membership.dues.end_after_grace. A failure is retried with the
// next scan (or River's retry of this one).
func (s *Service) endLapsed(ctx context.Context) error {
	lapsed, err := s.Dues(ctx, s.Pool, ListLapsed)
	if err != nil {
		return err
	}
	var errs []error
	for _, d := range lapsed {
		err := s.EndLapsed(ctx, d.Person.ID, lapseReason(d), audit.System)
		if err != nil && !errors.Is(err, ErrNotLapsed) && !errors.Is(err, admission.ErrWrongStatus) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
