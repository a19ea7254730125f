// Package jobs runs coopgate's durable background work on River, in the same
// PostgreSQL as everything else: a job is inserted in the transaction of the
// change that causes it, so it exists exactly when the change does. It owns
// the River client and the housekeeping jobs; mail and downstream packages
// own their workers.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/session"
)

// Client is the River client type used across coopgate.
type Client = river.Client[pgx.Tx]

// NewClient makes a client that works the given workers (nil workers: an
// insert-only client, for CLI commands that enqueue).
func NewClient(pool *pgxpool.Pool, workers *river.Workers, log *slog.Logger) (*Client, error) {
	cfg := &river.Config{
		Logger:                      log,
		CompletedJobRetentionPeriod: time.Hour, // finished jobs may hold sealed mail; keep them briefly
	}
	if workers != nil {
		river.AddWorker(workers, &pruneWorker{pool: pool})
		cfg.Workers = workers
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
		cfg.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true}),
		}
	}
	c, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return c, nil
}

// PruneArgs is the housekeeping job: it deletes what has expired.
type PruneArgs struct{}

// Kind names the job in River's table.
func (PruneArgs) Kind() string { return "prune_expired" }

// InsertOpts keeps one pending prune at a time across replicas.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 15 * time.Minute}}
}

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	pool *pgxpool.Pool
}

// Work deletes expired auth requests, tokens, sessions, counters and
// single-use links.
func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	for _, q := range []string{
		`DELETE FROM oidc_auth_requests WHERE expires_at < now() - interval '1 day'`,
		`DELETE FROM oidc_access_tokens WHERE expires_at < now()`,
		`DELETE FROM oidc_refresh_tokens WHERE expires_at < now() OR revoked_at < now() - interval '30 days'`,
		`DELETE FROM email_tokens WHERE expires_at < now() - interval '7 days'`,
		`DELETE FROM oidc_signing_keys WHERE published_until < now()`,
	} {
		if _, err := w.pool.Exec(ctx, q); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	if err := session.Prune(ctx, w.pool); err != nil {
		return err
	}
	return ratelimit.Prune(ctx, w.pool, time.Now().Add(-24*time.Hour))
}
