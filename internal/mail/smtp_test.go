package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/config"
	coopmail "github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

const from = "id@coop.example"

func smtpConfig(srv *mailtest.Server, mode string) config.SMTP {
	return config.SMTP{Host: srv.Host(), Port: srv.Port(), TLS: mode, From: from}
}

func newSender(t *testing.T, cfg config.SMTP, clientTLS *tls.Config) *coopmail.SMTPSender {
	t.Helper()
	sender, err := coopmail.NewSMTPSender(cfg, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	return sender
}

func sampleMessage(to string) coopmail.Message {
	return coopmail.Message{
		To:      to,
		Subject: "Confirm your address for Fjärdingen Co-op",
		Text:    "Hello Zoë,\n\nOpen https://id.coop.example/verify?token=abc123&next=%2F to confirm. " + strings.Repeat("A long line. ", 12) + "\n",
		HTML:    `<p>Hello Zoë,</p><p><a href="https://id.coop.example/verify?token=abc123&amp;next=%2F">Confirm</a></p>`,
	}
}

func TestSMTPSenderPlainOnLoopback(t *testing.T) {
	srv := mailtest.Start(t)
	sent := sampleMessage("zoe@example.org")
	if err := newSender(t, smtpConfig(srv, "none"), nil).Send(context.Background(), sent); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "zoe@example.org", 5*time.Second)
	if got.Subject != sent.Subject || got.Text != sent.Text || got.HTML != sent.HTML {
		t.Errorf("received %q / %q / %q\nwant %q / %q / %q", got.Subject, got.Text, got.HTML, sent.Subject, sent.Text, sent.HTML)
	}
	if got.TLS || got.From != from {
		t.Errorf("TLS = %v, envelope from %q", got.TLS, got.From)
	}
	checkHeaders(t, got.Header)
	if link := mailtest.FindLink(got.HTML, "https://id.coop.example/verify"); link != "https://id.coop.example/verify?token=abc123&next=%2F" {
		t.Errorf("FindLink in HTML = %q", link)
	}
}

func checkHeaders(t *testing.T, h mail.Header) {
	t.Helper()
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@coop.example>") {
		t.Errorf("Message-Id = %q, want <random@coop.example>", id)
	}
	if date, err := h.Date(); err != nil || time.Since(date) > time.Minute {
		t.Errorf("Date = %q (%v)", h.Get("Date"), err)
	}
	if addrs, err := h.AddressList("From"); err != nil || len(addrs) != 1 || addrs[0].Address != from {
		t.Errorf("From = %q", h.Get("From"))
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", ct)
	}
	if h.Get("Auto-Submitted") != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", h.Get("Auto-Submitted"))
	}
}

func TestSMTPSenderSTARTTLSWithAuth(t *testing.T) {
	serverTLS, clientTLS := mailtest.SelfSigned(t)
	srv := mailtest.Start(t, mailtest.WithSTARTTLS(serverTLS), mailtest.WithAuth("coopgate", "s3cret"))
	cfg := smtpConfig(srv, "starttls")
	cfg.Username, cfg.Password = "coopgate", "s3cret"
	if err := newSender(t, cfg, clientTLS).Send(context.Background(), sampleMessage("zoe@example.org")); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "zoe@example.org", 5*time.Second)
	if !got.TLS || got.AuthUser != "coopgate" {
		t.Errorf("TLS = %v, AuthUser = %q; want an authenticated, encrypted delivery", got.TLS, got.AuthUser)
	}
}

func TestSMTPSenderImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := mailtest.SelfSigned(t)
	srv := mailtest.Start(t, mailtest.WithImplicitTLS(serverTLS))
	if err := newSender(t, smtpConfig(srv, "tls"), clientTLS).Send(context.Background(), sampleMessage("zoe@example.org")); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitFor(t, "zoe@example.org", 5*time.Second); !got.TLS {
		t.Error("delivered without TLS")
	}
}

// Every way "starttls" could end in a readable message must end in no message.
func TestSMTPSenderSTARTTLSNeverFallsBackToPlain(t *testing.T) {
	serverTLS, _ := mailtest.SelfSigned(t)
	tests := []struct {
		name   string
		server []mailtest.Option
	}{
		{"server offers no STARTTLS", nil},
		{"certificate not trusted", []mailtest.Option{mailtest.WithSTARTTLS(serverTLS)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.server...)
			err := newSender(t, smtpConfig(srv, "starttls"), nil).Send(context.Background(), sampleMessage("zoe@example.org"))
			if err == nil || coopmail.IsPermanent(err) {
				t.Fatalf("Send = %v, want a temporary error", err)
			}
			if n := len(srv.Messages()); n != 0 || srv.Attempts() != 0 {
				t.Errorf("server got %d messages, %d attempts", n, srv.Attempts())
			}
		})
	}
}

func TestNewSMTPSenderAllowsPlainOnlyToLoopback(t *testing.T) {
	tests := []struct {
		host, mode string
		ok         bool
	}{
		{"localhost", "none", true},
		{"127.0.0.1", "none", true},
		{"::1", "none", true},
		{"smtp.example.org", "none", false},
		{"10.0.0.5", "none", false},
		{"smtp.example.org", "starttls", true},
		{"smtp.example.org", "tls", true},
		{"smtp.example.org", "ssl", false},
	}
	for _, tt := range tests {
		t.Run(tt.host+"/"+tt.mode, func(t *testing.T) {
			_, err := coopmail.NewSMTPSender(config.SMTP{Host: tt.host, TLS: tt.mode, From: from}, nil)
			if tt.ok != (err == nil) {
				t.Fatalf("NewSMTPSender = %v, want ok=%v", err, tt.ok)
			}
			var cfgErr *config.Error
			if err != nil && (!errors.As(err, &cfgErr) || !strings.HasPrefix(cfgErr.Problems[0], "smtp.tls: ")) {
				t.Errorf("error %q is not a config error naming smtp.tls", err)
			}
		})
	}
}

func TestSMTPSenderClassifiesFailures(t *testing.T) {
	const to = "Ada.Lovelace@Example.org"
	tests := []struct {
		name      string
		breakIt   func(*mailtest.Server)
		permanent bool
		code      int
	}{
		{"no such mailbox", func(s *mailtest.Server) { s.RefuseNext(1, 550) }, true, 550},
		{"greylisted", func(s *mailtest.Server) { s.RefuseNext(1, 451) }, false, 451},
		{"service closing", func(s *mailtest.Server) { s.RefuseNext(1, 421) }, false, 421},
		{"server hangs up", func(s *mailtest.Server) { s.SetDown(true) }, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t)
			tt.breakIt(srv)
			err := newSender(t, smtpConfig(srv, "none"), nil).Send(context.Background(), sampleMessage(to))
			checkDeliveryError(t, err, tt.permanent, tt.code)
			if len(srv.Messages()) != 0 {
				t.Error("a refused message was delivered")
			}
		})
	}
}

func checkDeliveryError(t *testing.T, err error, permanent bool, code int) {
	t.Helper()
	var de *coopmail.DeliveryError
	if !errors.As(err, &de) {
		t.Fatalf("Send = %v (%T), want a *DeliveryError", err, err)
	}
	if de.Permanent != permanent || coopmail.IsPermanent(err) != permanent || de.Code != code {
		t.Errorf("Permanent = %v, Code = %d; want %v, %d (%v)", de.Permanent, de.Code, permanent, code, err)
	}
	if strings.Contains(strings.ToLower(err.Error()), "ada.lovelace") {
		t.Errorf("error text holds the recipient's address: %v", err)
	}
}

func TestSMTPSenderServerUnreachableIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	sender := newSender(t, config.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: from}, nil)
	checkDeliveryError(t, sender.Send(context.Background(), sampleMessage("ada@example.org")), false, 0)
}

// A wrong password is the server's configuration, not the message's: the
// mail must wait for a fixed config rather than be cancelled.
func TestSMTPSenderWrongPasswordIsTemporary(t *testing.T) {
	serverTLS, clientTLS := mailtest.SelfSigned(t)
	srv := mailtest.Start(t, mailtest.WithSTARTTLS(serverTLS), mailtest.WithAuth("coopgate", "s3cret"))
	cfg := smtpConfig(srv, "starttls")
	cfg.Username, cfg.Password = "coopgate", "wrong"
	checkDeliveryError(t, newSender(t, cfg, clientTLS).Send(context.Background(), sampleMessage("ada@example.org")), false, 535)
}

func TestSMTPSenderRejectsInvalidMessage(t *testing.T) {
	srv := mailtest.Start(t)
	msg := sampleMessage("not an address")
	err := newSender(t, smtpConfig(srv, "none"), nil).Send(context.Background(), msg)
	if !coopmail.IsPermanent(err) || !errors.Is(err, coopmail.ErrInvalidMessage) {
		t.Errorf("Send = %v, want a permanent ErrInvalidMessage", err)
	}
}
