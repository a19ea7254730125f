package ratelimit

import (
	"context"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/pgtest"
)

func TestLimiter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	l := &Limiter{db: pool, now: func() time.Time { return now }}
	rule := Rule{Name: "test", Max: 3, Window: 15 * time.Minute}

	for i := 1; i <= 4; i++ {
		ok, err := l.Hit(ctx, rule, "ann@example.coop")
		if err != nil {
			t.Fatal(err)
		}
		if want := i <= 3; ok != want {
			t.Errorf("hit %d: within limit = %v, want %v", i, ok, want)
		}
	}
	if over, _ := l.Exceeded(ctx, rule, "ann@example.coop"); !over {
		t.Error("Exceeded = false after 4 hits of 3")
	}
	if over, _ := l.Exceeded(ctx, rule, "bob@example.coop"); over {
		t.Error("another subject is limited too")
	}
	now = now.Add(15 * time.Minute) // the start of the next window: the last one still counts in full
	if over, _ := l.Exceeded(ctx, rule, "ann@example.coop"); !over {
		t.Error("the limit was lifted by crossing a window boundary")
	}
	now = now.Add(15 * time.Minute) // a whole window later
	if over, _ := l.Exceeded(ctx, rule, "ann@example.coop"); over {
		t.Error("still limited a whole window later")
	}
	_, _ = l.Hit(ctx, rule, "ann@example.coop")
	if err := l.Reset(ctx, rule, "ann@example.coop"); err != nil {
		t.Fatal(err)
	}
	if over, _ := l.Exceeded(ctx, rule, "ann@example.coop"); over {
		t.Error("limited after Reset")
	}
	var leaked int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM rate_limit_counters WHERE key LIKE '%example.coop%'`).Scan(&leaked)
	if leaked != 0 {
		t.Error("counter keys hold the subject in clear")
	}
}
