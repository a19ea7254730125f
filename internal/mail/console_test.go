package mail_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	coopmail "github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func TestConsoleSenderPrintsAndStores(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	var out bytes.Buffer
	sender := coopmail.NewConsoleSender(&out, db)
	for _, subject := range []string{"first", "second", "third"} {
		msg := coopmail.Message{To: "zoe@example.org", Subject: subject, Text: "Open https://localhost/verify?t=" + subject}
		if err := sender.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"To:      zoe@example.org", "Subject: third", "https://localhost/verify?t=third"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console output lacks %q:\n%s", want, out.String())
		}
	}
	recent, err := coopmail.Recent(ctx, db, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(recent) != 2 || recent[0].Subject != "third" || recent[1].Subject != "second" {
		t.Fatalf("Recent = %+v, want third then second", recent)
	}
	if recent[0].To != "zoe@example.org" || recent[0].Body != "Open https://localhost/verify?t=third" || recent[0].SentAt.IsZero() {
		t.Errorf("stored %+v", recent[0])
	}
}

func TestConsoleSenderWithoutDatabase(t *testing.T) {
	var out bytes.Buffer
	err := coopmail.NewConsoleSender(&out, nil).Send(context.Background(), coopmail.Message{To: "zoe@example.org", Subject: "s", Text: "body"})
	if err != nil || !strings.Contains(out.String(), "body") {
		t.Errorf("Send = %v, output %q", err, out.String())
	}
}
