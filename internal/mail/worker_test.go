package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	coopmail "github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/seal"
)

func newBox(t *testing.T, b byte) *seal.Box {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func job(sealed []byte) *river.Job[coopmail.SendArgs] {
	return &river.Job[coopmail.SendArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1}, Args: coopmail.SendArgs{Sealed: sealed}}
}

func sealed(t *testing.T, box *seal.Box, msg coopmail.Message) []byte {
	t.Helper()
	plain, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	return box.Seal(plain, "mail")
}

func TestWorkerSendsWhatWasSealed(t *testing.T) {
	box, rec := newBox(t, 1), &coopmail.RecordingSender{}
	if err := coopmail.NewWorker(rec, box, nil, nil).Work(context.Background(), job(sealed(t, box, secretMessage()))); err != nil {
		t.Fatal(err)
	}
	if sent := rec.Sent(); len(sent) != 1 || sent[0] != secretMessage() {
		t.Errorf("sent %+v", sent)
	}
}

func TestWorkerCancelsWhatItCannotOpen(t *testing.T) {
	rec := &coopmail.RecordingSender{}
	err := coopmail.NewWorker(rec, newBox(t, 1), nil, nil).Work(context.Background(), job(sealed(t, newBox(t, 2), secretMessage())))
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) || len(rec.Sent()) != 0 {
		t.Errorf("Work = %v, sent %d; want a cancelled job and nothing sent", err, len(rec.Sent()))
	}
}

func TestWorkerRetriesTemporaryFailuresWithoutTheAddress(t *testing.T) {
	box := newBox(t, 1)
	rec := &coopmail.RecordingSender{Err: errors.New("relay said no to " + secretAddr)}
	err := coopmail.NewWorker(rec, box, nil, nil).Work(context.Background(), job(sealed(t, box, secretMessage())))
	var cancel *river.JobCancelError
	if err == nil || errors.As(err, &cancel) {
		t.Fatalf("Work = %v, want an error River retries", err)
	}
	if strings.Contains(err.Error(), "ada.lovelace") {
		t.Errorf("job error holds the address: %v", err)
	}
}

func TestEnqueueRefusesInvalidMessages(t *testing.T) {
	msg := secretMessage()
	msg.To = "not an address"
	// Validation comes first, so no client or transaction is needed to see it.
	err := coopmail.NewOutbox(nil, newBox(t, 1), nil).Enqueue(context.Background(), nil, msg)
	if !errors.Is(err, coopmail.ErrInvalidMessage) {
		t.Errorf("Enqueue = %v, want ErrInvalidMessage", err)
	}
}
