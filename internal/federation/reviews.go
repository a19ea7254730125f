package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// Due are the blocks whose review date is today or past, soonest first.
func Due(ctx context.Context, q database.Querier, today time.Time) ([]Decision, error) {
	return collectDecisions(q.Query(ctx, `SELECT * FROM (`+latestSQL+`) latest
		WHERE action = 'block' AND review_on <= $1 ORDER BY review_on, domain`, today))
}

// Due is Due for the service's today.
func (s *Service) Due(ctx context.Context) ([]Decision, error) { return Due(ctx, s.pool, s.today()) }

// weekly is a River schedule that fires once a week at a fixed hour (UTC).
// A fixed time, unlike an interval, does not move when the server restarts.
type weekly struct {
	day  time.Weekday
	hour int
}

// Next is the first time after t on the day at the hour.
func (w weekly) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), w.hour, 0, 0, 0, time.UTC)
	next = next.AddDate(0, 0, (int(w.day)-int(next.Weekday())+7)%7)
	if !next.After(t) {
		next = next.AddDate(0, 0, 7)
	}
	return next
}

// DigestArgs is the weekly mail to moderators of the decisions due for review.
type DigestArgs struct{}

// Kind names the job in river_job.
func (DigestArgs) Kind() string { return "federation_review_digest" }

// InsertOpts: one a day at most, whichever replica leads; mail failures
// are the mail job's to retry.
func (DigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: 24 * time.Hour}}
}

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	s *Service
}

func (w *digestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	_, err := w.s.SendDigest(ctx)
	return err
}

// SendDigest mails each moderator the decisions due for review, if any
// are; with no moderator, the secretaries, who can record decisions too.
// It returns how many mails it queued.
func (s *Service) SendDigest(ctx context.Context) (int, error) {
	due, err := s.Due(ctx)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	items := make([]mail.ReviewItem, 0, len(due))
	for _, d := range due {
		items = append(items, mail.ReviewItem{Domain: d.Domain, Severity: string(d.Severity), Ground: d.Ground.Label(),
			ReviewOn: d.ReviewOn.Format("2 Jan 2006")})
	}
	var sent int
	err = database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		to, err := reviewers(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range to {
			d := mail.ReviewDigest{Name: p.Name, Items: items, Link: s.link("/moderation/federation")}
			if err := s.mail.Send(ctx, tx, p.Email, d); err != nil {
				return fmt.Errorf("federation: review digest: %w", err)
			}
		}
		sent = len(to)
		return nil
	})
	return sent, err
}

func reviewers(ctx context.Context, q database.Querier) ([]*people.Person, error) {
	mods, err := people.WithRole(ctx, q, people.RoleModerator)
	if err != nil || len(mods) > 0 {
		return mods, err
	}
	return people.Secretaries(ctx, q)
}
