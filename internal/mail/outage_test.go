package mail_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	coopmail "github.com/coopgate/coopgate/internal/mail"
)

// TestMailRetriesWithinHalfAMinuteWhileYoung: the worker schedules a failed
// mail's next try at most 30 s ahead while the mail is under an hour old,
// whatever its attempt (River's own backoff waits attempt⁴ seconds: 81 s
// after the third failure, over 17 minutes after the sixth), and keeps
// trying for about three weeks in all.
func TestMailRetriesWithinHalfAMinuteWhileYoung(t *testing.T) {
	w := coopmail.NewWorker(&coopmail.RecordingSender{}, newBox(t, 1), nil, nil)
	now := time.Now()
	for _, tt := range []struct {
		attempt int
		age     time.Duration
		atMost  time.Duration
	}{
		{1, time.Second, 2 * time.Second}, {3, 20 * time.Second, 30 * time.Second}, {6, 5 * time.Minute, 30 * time.Second},
		{40, 59 * time.Minute, 30 * time.Second}, {150, 3 * 24 * time.Hour, 6 * time.Hour},
	} {
		job := &river.Job[coopmail.SendArgs]{JobRow: &rivertype.JobRow{Attempt: tt.attempt, CreatedAt: now.Add(-tt.age)}}
		next := w.NextRetry(job)
		if next.IsZero() || next.Sub(now) > tt.atMost+time.Second || next.Before(now) {
			t.Errorf("attempt %d of a mail %s old: next try in %s; want within %s", tt.attempt, tt.age, next.Sub(now).Round(time.Second), tt.atMost)
		}
	}
	var age time.Duration
	for attempt := 1; attempt < 220; attempt++ { // the last attempt has no retry after it
		age += coopmail.RetryBackoff(attempt, age)
	}
	if age < 20*24*time.Hour || age > 30*24*time.Hour {
		t.Errorf("a mail is tried for %s in all; want about three weeks", age.Round(time.Hour))
	}
}

// TestMailWaitingOutAnOutageGoesOnceTheRelayIsBack: mails that failed while
// the relay was down, and were scheduled to try again much later, are
// brought forward as soon as any mail goes out again.
func TestMailWaitingOutAnOutageGoesOnceTheRelayIsBack(t *testing.T) {
	t.Parallel()
	q := newQueueWith(t, coopmail.RetryBackoff)
	q.catcher.SetDown(true)
	waiting := []string{"ann@example.org", "bob@example.org"}
	for _, to := range waiting {
		msg := secretMessage()
		msg.To = to
		q.enqueue(t, msg, true)
	}
	// As if they had failed for a while: next tries an hour away. (A job
	// is marked failed a moment after its event; wait for both.)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for pushed := int64(0); pushed < int64(len(waiting)); {
		if time.Now().After(deadline) {
			t.Fatalf("the mails did not both fail while the relay was down; logs:\n%s", q.logs)
		}
		tag, err := q.pool.Exec(ctx, `UPDATE river_job SET scheduled_at = now() + interval '1 hour'
			WHERE state = 'retryable' AND scheduled_at < now() + interval '30 minutes'`)
		if err != nil {
			t.Fatal(err)
		}
		pushed += tag.RowsAffected()
		time.Sleep(20 * time.Millisecond)
	}
	q.catcher.SetDown(false)
	q.enqueue(t, secretMessage(), true)
	q.catcher.WaitFor(t, secretAddr, 30*time.Second)
	for _, to := range waiting {
		q.catcher.WaitFor(t, to, 30*time.Second) // long before the hour: brought forward
	}
	for range 3 {
		q.waitJob(t, river.EventKindJobCompleted)
	}
}

// TestMailFailingLateInAnOutageIsScheduledWithinHalfAMinute: a mail that
// has failed five times already (River's backoff would now wait 6⁴ s, over
// 21 minutes) and fails again because the relay is down is scheduled to be
// tried again within 30 s.
func TestMailFailingLateInAnOutageIsScheduledWithinHalfAMinute(t *testing.T) {
	t.Parallel()
	q := newQueueWith(t, coopmail.RetryBackoff)
	q.catcher.SetDown(true)
	ctx := context.Background()
	row, err := q.client.Insert(ctx, coopmail.SendArgs{Sealed: sealed(t, q.box, secretMessage())},
		&river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// Its history: five failed tries in the last few minutes.
	_, err = q.pool.Exec(ctx, `UPDATE river_job SET attempt = 5, scheduled_at = now(), errors = ARRAY(
		SELECT jsonb_build_object('at', now(), 'attempt', n, 'error', 'mail: connection refused', 'trace', '')
		FROM generate_series(1, 5) n) WHERE id = $1`, row.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	job := q.waitJob(t, river.EventKindJobFailed)
	deadline := time.Now().Add(30 * time.Second)
	for job.State != rivertype.JobStateRetryable && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if job, err = q.client.JobGet(ctx, row.Job.ID); err != nil {
			t.Fatal(err)
		}
	}
	if job.Attempt != 6 || job.AttemptedAt == nil {
		t.Fatalf("job after the failed try: attempt %d, state %s", job.Attempt, job.State)
	}
	if wait := job.ScheduledAt.Sub(*job.AttemptedAt); wait > 31*time.Second {
		t.Errorf("after its sixth failure the mail waits %s; want at most 30 s", wait.Round(time.Second))
	}
}
