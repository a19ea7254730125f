package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/seal"
)

// sealPurpose binds queued mail to its use: a sealed mail cannot be opened
// as anything else, nor anything else as a mail.
const sealPurpose = "mail"

// maxAttempts with River's default backoff (attempt⁴ seconds) keeps trying
// for about three weeks: a mail server that is down for days delays mail,
// it does not lose it.
const maxAttempts = 25

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

// Enqueue queues msg in the caller's transaction, so the mail goes out if and
// only if the change that causes it commits.
func Enqueue(ctx context.Context, tx pgx.Tx, client *river.Client[pgx.Tx], box *seal.Box, msg Message) error {
	if err := msg.Validate(); err != nil {
		return err
	}
	plain, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	args := SendArgs{Sealed: box.Seal(plain, sealPurpose)}
	if _, err := client.InsertTx(ctx, tx, args, nil); err != nil {
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
	sender Sender
	box    *seal.Box
	log    *slog.Logger
}

// NewWorker makes the mail worker; log may be nil.
func NewWorker(sender Sender, box *seal.Box, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Worker{sender: sender, box: box, log: log}
}

// AddWorkers registers the mail worker with River; log may be nil.
func AddWorkers(workers *river.Workers, sender Sender, box *seal.Box, log *slog.Logger) error {
	if err := river.AddWorkerSafely(workers, NewWorker(sender, box, log)); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	return nil
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
