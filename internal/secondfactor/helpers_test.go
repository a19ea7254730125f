package secondfactor

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
	"github.com/coopgate/coopgate/web"
)

// clock is a test's time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var actor = audit.Actor{Label: "test"}

// newService is a Service on a fresh database, at issuer, on a clock the
// test moves; the secretary's role requires a second factor.
func newService(t *testing.T, issuer string) (*Service, *pgxpool.Pool, *clock) {
	t.Helper()
	pool := pgtest.New(t)
	inserter, err := jobs.NewInserter(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	renderer, err := mail.NewRenderer(web.Mail, mail.CoopInfo{Name: "Test Co-op", URL: issuer})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now().Truncate(time.Second)}
	s, err := New(Config{Pool: pool, Box: box, Mail: mail.NewOutbox(renderer, box, inserter), Key: key,
		Issuer: issuer, CoopName: "Test Co-op", Roles: []string{"secretary"}, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, pool, c
}

// count runs a counting query.
func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func mailQueued(t *testing.T, pool *pgxpool.Pool) int {
	return count(t, pool, `SELECT count(*) FROM river_job WHERE kind = 'mail_send'`)
}

// codeAt is what the authenticator app shows at, for secret.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP sets up p's authenticator app at the clock's time and returns
// its secret.
func enrolTOTP(t *testing.T, s *Service, p *people.Person, clk *clock) string {
	t.Helper()
	e, err := s.StartTOTP(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmTOTP(context.Background(), p, codeAt(t, e.Secret, clk.t), actor); err != nil {
		t.Fatal(err)
	}
	return e.Secret
}
