package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
)

// Message is one mail to one recipient. Render makes one from a template.
type Message struct {
	To      string // one address, "ada@example.org"
	Subject string
	Text    string // the plain-text body; every mail has one
	HTML    string // the HTML alternative; may be empty
}

// Sender delivers a message now. It is the seam between coopgate and a mail
// server: SMTPSender in production, ConsoleSender in `coopgate dev`,
// RecordingSender in unit tests.
type Sender interface {
	Send(ctx context.Context, msg Message) error
}

// ErrInvalidMessage is returned for a message that no retry could deliver.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Validate reports a message that cannot be sent: checked when it is queued,
// so the caller's transaction fails rather than a job later.
func (m Message) Validate() error {
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("%w: recipient is not an address", ErrInvalidMessage)
	}
	if strings.TrimSpace(m.Subject) == "" || strings.TrimSpace(m.Text) == "" {
		return fmt.Errorf("%w: subject and text body are required", ErrInvalidMessage)
	}
	return nil
}

// domainOf is the part of an address that may appear in logs.
func domainOf(addr string) string {
	if parsed, err := mail.ParseAddress(addr); err == nil {
		addr = parsed.Address
	}
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

// recipientHash lets an operator match log lines about the same recipient
// (and check a known address against them) without the log holding it.
func recipientHash(addr string) string {
	if parsed, err := mail.ParseAddress(addr); err == nil {
		addr = parsed.Address
	}
	sum := sha256.Sum256([]byte(strings.ToLower(addr)))
	return hex.EncodeToString(sum[:6])
}

// RecordingSender keeps what it is asked to send, for unit tests of code that
// sends mail. Its zero value is ready; set Err, before any Send, to make
// every Send fail.
type RecordingSender struct {
	mu   sync.Mutex
	sent []Message
	Err  error
}

// Send records msg, or returns Err without recording it.
func (r *RecordingSender) Send(_ context.Context, msg Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Err != nil {
		return r.Err
	}
	r.sent = append(r.sent, msg)
	return nil
}

// Sent returns the messages sent so far, oldest first.
func (r *RecordingSender) Sent() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.sent...)
}
