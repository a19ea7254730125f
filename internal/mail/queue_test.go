package mail_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	coopmail "github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
)

// Secrets that must reach the recipient and nowhere else.
const (
	secretAddr = "ada.lovelace@example.org"
	secretLink = "https://id.coop.example/verify?token=SECRET-TOKEN-123"
)

func secretMessage() coopmail.Message {
	return coopmail.Message{To: secretAddr, Subject: "Confirm your address", Text: "Open " + secretLink + "\n", HTML: `<a href="` + secretLink + `">Confirm</a>`}
}

// fastRetry stands in for the backoff (seconds to hours) so a test sees
// retries at once.
func fastRetry(int, time.Duration) time.Duration { return 100 * time.Millisecond }

type queue struct {
	pool    *pgxpool.Pool
	box     *seal.Box
	client  *river.Client[pgx.Tx]
	catcher *mailtest.Server
	events  <-chan *river.Event
	logs    *syncBuffer
}

func newQueue(t *testing.T) *queue {
	t.Helper()
	return newQueueWith(t, fastRetry)
}

// newQueueWith is a queue whose mail waits out backoff after a failure.
func newQueueWith(t *testing.T, backoff coopmail.Backoff) *queue {
	t.Helper()
	q := &queue{pool: pgtest.New(t), catcher: mailtest.Start(t), logs: &syncBuffer{}}
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	q.box = box
	log := slog.New(slog.NewTextHandler(q.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sender := newSender(t, config.SMTP{Host: q.catcher.Host(), Port: q.catcher.Port(), TLS: "none", From: from}, nil)
	workers := river.NewWorkers()
	if err := coopmail.AddWorkers(workers, sender, box, log, backoff); err != nil {
		t.Fatal(err)
	}
	q.client, err = river.NewClient(riverpgxv5.New(q.pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           workers,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
		Logger:            log,
		TestOnly:          true,
	})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := q.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	q.events = events
	ctx := context.Background()
	if err := q.client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		stopCtx, done := context.WithTimeout(ctx, 30*time.Second)
		defer done()
		_ = q.client.Stop(stopCtx)
	})
	return q
}

// enqueue queues msg in a transaction that commits, or rolls back if commit is false.
func (q *queue) enqueue(t *testing.T, msg coopmail.Message, commit bool) {
	t.Helper()
	errRollback := errors.New("the change failed")
	err := database.InTx(context.Background(), q.pool, func(tx pgx.Tx) error {
		if err := coopmail.NewOutbox(nil, q.box, q.client).Enqueue(context.Background(), tx, msg); err != nil {
			return err
		}
		if !commit {
			return errRollback
		}
		return nil
	})
	if commit && err != nil || !commit && !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v", err)
	}
}

// waitJob waits for a job event of the given kind and returns the job as stored.
func (q *queue) waitJob(t *testing.T, kind river.EventKind) *rivertype.JobRow {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-q.events:
			if ev.Kind != kind {
				continue
			}
			job, err := q.client.JobGet(context.Background(), ev.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			return job
		case <-timeout:
			t.Fatalf("no %s event within 30s; logs:\n%s", kind, q.logs)
			return nil
		}
	}
}

func (q *queue) jobCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := q.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQueuedMailIsSentAfterCommit(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	q.enqueue(t, secretMessage(), true)
	got := q.catcher.WaitFor(t, secretAddr, 30*time.Second)
	if link := mailtest.FindLink(got.Text, "https://id.coop.example/verify"); link != secretLink {
		t.Errorf("link in the delivered mail = %q, want %q", link, secretLink)
	}
	if job := q.waitJob(t, river.EventKindJobCompleted); job.Attempt != 1 || job.Kind != "mail_send" || job.MaxAttempts != 220 {
		t.Errorf("job: attempt %d, kind %q, max attempts %d", job.Attempt, job.Kind, job.MaxAttempts)
	}
	q.checkNoSecretsStored(t)
}

func TestQueuedMailIsDroppedWithItsTransaction(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	rolledBack := secretMessage()
	rolledBack.To = "never@example.org"
	q.enqueue(t, rolledBack, false)
	q.enqueue(t, secretMessage(), true)
	q.catcher.WaitFor(t, secretAddr, 30*time.Second)
	q.waitJob(t, river.EventKindJobCompleted)
	if n := q.jobCount(t); n != 1 {
		t.Errorf("%d jobs in river_job, want only the committed one", n)
	}
	for _, m := range q.catcher.Messages() {
		if m.To[0] == "never@example.org" {
			t.Error("mail from a rolled-back transaction was sent")
		}
	}
}

func TestQueuedMailWaitsOutTemporaryRefusals(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	q.catcher.RefuseNext(2, 451)
	q.enqueue(t, secretMessage(), true)
	job := q.waitJob(t, river.EventKindJobCompleted)
	if job.Attempt != 3 || len(job.Errors) != 2 {
		t.Errorf("completed on attempt %d with %d errors, want attempt 3 after 2 refusals", job.Attempt, len(job.Errors))
	}
	if n := len(q.catcher.Messages()); n != 1 || q.catcher.Refusals() != 2 || q.catcher.Attempts() != 3 {
		t.Errorf("catcher: %d messages, %d refusals, %d attempts; want 1, 2, 3", n, q.catcher.Refusals(), q.catcher.Attempts())
	}
	q.checkNoSecretsStored(t)
}

func TestQueuedMailWaitsOutAServerThatIsDown(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	q.catcher.SetDown(true)
	q.enqueue(t, secretMessage(), true)
	q.waitJob(t, river.EventKindJobFailed)
	q.catcher.SetDown(false)
	job := q.waitJob(t, river.EventKindJobCompleted)
	// A retry may start before the test brings the server back: count, don't fix, the failures.
	if job.Attempt < 2 || len(job.Errors) != job.Attempt-1 {
		t.Errorf("completed on attempt %d with %d errors", job.Attempt, len(job.Errors))
	}
	if n := len(q.catcher.Messages()); n != 1 {
		t.Errorf("%d messages delivered, want exactly 1", n)
	}
}

func TestQueuedMailRefusedForGoodIsCancelled(t *testing.T) {
	t.Parallel()
	q := newQueue(t)
	q.catcher.RefuseNext(1, 550)
	q.enqueue(t, secretMessage(), true)
	job := q.waitJob(t, river.EventKindJobCancelled)
	if job.State != rivertype.JobStateCancelled || job.Attempt != 1 {
		t.Errorf("job %s after attempt %d, want cancelled after 1", job.State, job.Attempt)
	}
	time.Sleep(300 * time.Millisecond) // three retry delays: a retry would have happened by now
	if n := q.catcher.Attempts(); n != 1 || len(q.catcher.Messages()) != 0 {
		t.Errorf("%d attempts, %d messages; want 1 attempt, no message", n, len(q.catcher.Messages()))
	}
	q.checkNoSecretsStored(t)
}

// checkNoSecretsStored: the job table (args and recorded errors) and the logs
// hold neither the link nor the address.
func (q *queue) checkNoSecretsStored(t *testing.T) {
	t.Helper()
	var stored string
	err := q.pool.QueryRow(context.Background(),
		`SELECT coalesce(string_agg(args::text || coalesce(errors::text, '') || metadata::text, ' '), '') FROM river_job`).Scan(&stored)
	if err != nil {
		t.Fatal(err)
	}
	logs := q.logs.String()
	for _, secret := range []string{"SECRET-TOKEN", "ada.lovelace", "Confirm your address"} {
		if strings.Contains(stored, secret) {
			t.Errorf("river_job holds %q: %s", secret, stored)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "to_domain=example.org") {
		t.Errorf("logs do not name the recipient's domain:\n%s", logs)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
