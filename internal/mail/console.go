package mail

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
)

// ConsoleSender is the mail server of `coopgate dev`: it prints each message
// (links included, that is its point) and keeps it in dev_mail for the
// dev-only mail page. It must never be used in production.
type ConsoleSender struct {
	mu  sync.Mutex
	out io.Writer
	db  *pgxpool.Pool // nil: print only
}

// NewConsoleSender prints to out and, if db is not nil, stores in dev_mail.
func NewConsoleSender(out io.Writer, db *pgxpool.Pool) *ConsoleSender {
	return &ConsoleSender{out: out, db: db}
}

// Send prints msg and stores it.
func (c *ConsoleSender) Send(ctx context.Context, msg Message) error {
	if err := msg.Validate(); err != nil {
		return &DeliveryError{Permanent: true, text: err.Error(), err: err}
	}
	if err := c.print(msg); err != nil {
		return fmt.Errorf("console mail: %w", err)
	}
	if c.db == nil {
		return nil
	}
	_, err := c.db.Exec(ctx, `INSERT INTO dev_mail (to_addr, subject, body) VALUES ($1, $2, $3)`,
		msg.To, msg.Subject, msg.Text)
	if err != nil {
		return fmt.Errorf("console mail: storing in dev_mail: %w", err)
	}
	return nil
}

func (c *ConsoleSender) print(msg Message) error {
	rule := strings.Repeat("─", 72)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.out, "%s\nTo:      %s\nSubject: %s\n\n%s\n%s\n",
		rule, msg.To, msg.Subject, strings.TrimRight(msg.Text, "\n"), rule)
	return err
}

// DevMail is one message that ConsoleSender stored.
type DevMail struct {
	ID      int64
	SentAt  time.Time
	To      string
	Subject string
	Body    string // the text body
}

// Recent returns up to limit stored dev mails, newest first.
func Recent(ctx context.Context, db database.Querier, limit int) ([]DevMail, error) {
	rows, err := db.Query(ctx, `
		SELECT id, sent_at, to_addr, subject, body FROM dev_mail
		ORDER BY sent_at DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("dev mail: %w", err)
	}
	mails, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (DevMail, error) {
		var m DevMail
		err := row.Scan(&m.ID, &m.SentAt, &m.To, &m.Subject, &m.Body)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("dev mail: %w", err)
	}
	return mails, nil
}
