// Package ratelimit counts attempts in fixed windows in PostgreSQL, so every
// replica sees the same counts: throttling of logins and sign-ups, and
// account lockout. Keys must not contain personal data in clear (hash emails).
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/coopgate/coopgate/internal/database"
)

// Rule is "at most Max hits per Window".
type Rule struct {
	Name   string // e.g. "login-ip"
	Max    int
	Window time.Duration
}

// Limiter checks and counts against rules.
type Limiter struct {
	db  database.Querier
	now func() time.Time
}

// New makes a Limiter on db.
func New(db database.Querier) *Limiter { return NewWithClock(db, time.Now) }

// NewWithClock makes a Limiter on db that reads the time from now (tests
// that play out hours of attempts).
func NewWithClock(db database.Querier, now func() time.Time) *Limiter {
	return &Limiter{db: db, now: now}
}

func (l *Limiter) window(r Rule) time.Time { return l.now().Truncate(r.Window) }

// Hit counts one attempt for subject under r and reports whether it is still
// within the limit.
func (l *Limiter) Hit(ctx context.Context, r Rule, subject string) (bool, error) {
	_, err := l.db.Exec(ctx, `
		INSERT INTO rate_limit_counters (key, window_start, hits) VALUES ($1, $2, 1)
		ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limit_counters.hits + 1`,
		key(r, subject), l.window(r))
	if err != nil {
		return false, fmt.Errorf("ratelimit: %w", err)
	}
	n, err := l.count(ctx, r, subject)
	return n <= float64(r.Max), err
}

// Exceeded reports whether subject is already at or over the limit, without counting.
func (l *Limiter) Exceeded(ctx context.Context, r Rule, subject string) (bool, error) {
	n, err := l.count(ctx, r, subject)
	return n >= float64(r.Max), err
}

// count is a sliding-window estimate: this window's hits plus the previous
// window's, weighted by how much of it still lies within one Window of now.
// Hits just before a window boundary still count just after it, so the
// limit cannot be doubled by straddling the boundary.
func (l *Limiter) count(ctx context.Context, r Rule, subject string) (float64, error) {
	cur := l.window(r)
	var now, prev int
	err := l.db.QueryRow(ctx, `
		SELECT coalesce(sum(hits) FILTER (WHERE window_start = $2), 0),
		       coalesce(sum(hits) FILTER (WHERE window_start = $3), 0)
		FROM rate_limit_counters WHERE key = $1 AND window_start IN ($2, $3)`,
		key(r, subject), cur, cur.Add(-r.Window)).Scan(&now, &prev)
	if err != nil {
		return 0, fmt.Errorf("ratelimit: %w", err)
	}
	elapsed := float64(l.now().Sub(cur)) / float64(r.Window)
	return float64(now) + float64(prev)*(1-elapsed), nil
}

// Reset forgets subject's count under r (after a successful login).
func (l *Limiter) Reset(ctx context.Context, r Rule, subject string) error {
	return Forget(ctx, l.db, r, subject)
}

// Forget deletes the counts of subjects under r within q, which may be the
// transaction of the change that warrants it (a completed password reset).
func Forget(ctx context.Context, q database.Querier, r Rule, subjects ...string) error {
	keys := make([]string, len(subjects))
	for i, s := range subjects {
		keys[i] = key(r, s)
	}
	if _, err := q.Exec(ctx, `DELETE FROM rate_limit_counters WHERE key = ANY($1)`, keys); err != nil {
		return fmt.Errorf("ratelimit: %w", err)
	}
	return nil
}

// Prune deletes counters whose windows started over a day ago: longer than
// any rule's window and the one before it, which count reads.
func Prune(ctx context.Context, db database.Querier) error {
	_, err := db.Exec(ctx, `DELETE FROM rate_limit_counters WHERE window_start < now() - interval '1 day'`)
	return err
}

// key hashes the subject: the table never holds an email or IP in clear.
func key(r Rule, subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return r.Name + ":" + hex.EncodeToString(sum[:12])
}
