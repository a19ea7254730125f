package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/seal"
)

// sealPurpose binds queued mail to its use: a sealed mail cannot be opened
// as anything else, nor anything else as a mail.
const sealPurpose = "mail"

// Backoff is how long a mail waits after its attempt-th failed try, when it
// was queued age ago.
type Backoff func(attempt int, age time.Duration) time.Duration

// RetryBackoff is coopgate's backoff for mail. River's own (attempt⁴
// seconds) would have mail that failed during a short relay outage trickle
// out for minutes after the relay is back (81 s after the third failure,
// 256 s after the fourth). While a mail is under an hour old it waits at most
// 30 s, so a verification link arrives within a minute of the relay's
// return; after that a quarter of its age, up to six hours, so a relay down
// for days costs a few hundred tries over three weeks, not tens of thousands.
// And any mail that is sent brings the waiting ones forward (see Work).
func RetryBackoff(attempt int, age time.Duration) time.Duration {
	if age < time.Hour {
		a := time.Duration(min(attempt, 100))
		return min(a*a*a*a*time.Second, 30*time.Second)
	}
	return min(age/4, 6*time.Hour)
}

// maxAttempts with RetryBackoff keeps trying for about three weeks: a mail
// server that is down for days delays mail, it does not lose it.
const maxAttempts = 220

// SendArgs is the job that delivers one message. The message is sealed so
// that single-use links and addresses never sit readable in river_job.
type SendArgs struct {
	Sealed []byte `json:"sealed"`
}

// Kind is the job kind stored in river_job.
func (SendArgs) Kind() string { return "mail_send" }

// InsertOpts applies to every queued mail.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: maxAttempts}
}

// Outbox queues mail in the caller's transaction, so a mail goes out if and
// only if the change that causes it commits. It renders the kind of mail,
// seals the message and inserts its job: callers say only who gets what.
type Outbox struct {
	render *Renderer
	box    *seal.Box
	jobs   *river.Client[pgx.Tx]
}

// NewOutbox makes an outbox that renders with r, seals with box and inserts
// with jobs (an inserter is enough).
func NewOutbox(r *Renderer, box *seal.Box, jobs *river.Client[pgx.Tx]) *Outbox {
	return &Outbox{render: r, box: box, jobs: jobs}
}

// Send renders d for to and queues it in tx.
func (o *Outbox) Send(ctx context.Context, tx pgx.Tx, to string, d Data) error {
	msg, err := o.render.Render(to, d)
	if err != nil {
		return err
	}
	return o.Enqueue(ctx, tx, msg)
}

// Enqueue queues a rendered msg in tx.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, msg Message) error {
	if err := msg.Validate(); err != nil {
		return err
	}
	plain, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	args := SendArgs{Sealed: o.box.Seal(plain, sealPurpose)}
	if _, err := o.jobs.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("mail: queueing: %w", err)
	}
	return nil
}

func openArgs(box *seal.Box, args SendArgs) (Message, error) {
	plain, err := box.Open(args.Sealed, sealPurpose)
	if err != nil {
		return Message{}, fmt.Errorf("mail: opening queued message: %w", err)
	}
	var msg Message
	if err := json.Unmarshal(plain, &msg); err != nil {
		return Message{}, fmt.Errorf("mail: decoding queued message: %w", err)
	}
	return msg, nil
}

// Worker delivers queued mail through a Sender.
type Worker struct {
	river.WorkerDefaults[SendArgs]
	sender  Sender
	box     *seal.Box
	log     *slog.Logger
	backoff Backoff
}

// NewWorker makes the mail worker; log may be nil, backoff nil for
// RetryBackoff.
func NewWorker(sender Sender, box *seal.Box, log *slog.Logger, backoff Backoff) *Worker {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if backoff == nil {
		backoff = RetryBackoff
	}
	return &Worker{sender: sender, box: box, log: log, backoff: backoff}
}

// AddWorkers registers the mail worker with River; log may be nil, backoff
// nil for RetryBackoff.
func AddWorkers(workers *river.Workers, sender Sender, box *seal.Box, log *slog.Logger, backoff Backoff) error {
	if err := river.AddWorkerSafely(workers, NewWorker(sender, box, log, backoff)); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
}

// NextRetry schedules a failed mail's next try by the worker's backoff.
func (w *Worker) NextRetry(job *river.Job[SendArgs]) time.Time {
	now := time.Now()
	return now.Add(w.backoff(job.Attempt, now.Sub(job.CreatedAt)))
}

// bringForward makes every mail waiting out a backoff available now: a mail
// just went out, so the relay is back, and mail that failed while it was
// away need not wait longer. It uses River's client from ctx; a worker run
// outside River (unit tests) has none and brings nothing forward.
func (w *Worker) bringForward(ctx context.Context) {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return
	}
	const page = 500
	params := river.NewJobListParams().Kinds(SendArgs{}.Kind()).States(rivertype.JobStateRetryable).First(page)
	for {
		res, err := client.JobList(ctx, params)
		if err != nil {
			w.log.WarnContext(ctx, "mail: listing waiting mail", "error", err)
			return
		}
		for _, job := range res.Jobs {
			if _, err := client.JobRetry(ctx, job.ID); err != nil {
				w.log.WarnContext(ctx, "mail: bringing a waiting mail forward", "job_id", job.ID, "error", err)
			}
		}
		if len(res.Jobs) < page {
			return
		}
		params = params.After(res.LastCursor)
	}
}

// Work sends one queued message. A permanent refusal cancels the job (no
// retry can deliver it); anything else is returned so River retries with
// backoff.
func (w *Worker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	msg, err := openArgs(w.box, job.Args)
	if err != nil {
		// Another key or damaged data: retrying cannot open it either.
		w.log.ErrorContext(ctx, "mail: cannot open queued message", "job_id", job.ID, "error", err)
		return river.JobCancel(err)
	}
	attrs := []any{"job_id", job.ID, "attempt", job.Attempt,
		"to_domain", domainOf(msg.To), "to_hash", recipientHash(msg.To)}
	err = w.sender.Send(ctx, msg)
	switch {
	case err == nil:
		w.log.InfoContext(ctx, "mail sent", attrs...)
		w.bringForward(ctx)
		return nil
	case IsPermanent(err):
		w.log.WarnContext(ctx, "mail refused for good, not retrying", append(attrs, "error", err)...)
		return river.JobCancel(err)
	default:
		err = safeError(err, msg.To)
		w.log.WarnContext(ctx, "mail not sent, will retry", append(attrs, "error", err)...)
		return err
	}
}

// safeError keeps the recipient's address out of River's job errors and the
// logs whatever Sender made err.
func safeError(err error, to string) error {
	var de *DeliveryError
	if errors.As(err, &de) {
		return err
	}
	return &DeliveryError{text: "mail: " + redact(err.Error(), to), err: err}
}
