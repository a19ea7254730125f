// Package jobs is the plumbing of coopgate's durable background work on
// River, in the same PostgreSQL as everything else: a job is inserted in the
// transaction of the change that causes it, so it exists exactly when the
// change does.
//
// It makes two kinds of River client. An inserter only inserts: every
// enqueuer (the mail outbox, admission, provisioning) is given one when it is
// built, in the server as in the CLI. A runner works the jobs, with the
// workers registered from those enqueuers, the periodic jobs and the
// housekeeping that internal/app hands it; so it is made last, and nothing is
// patched in after. It knows no product package: mail, admission and the
// downstream packages own their workers, and each table's owner its Prune.
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

	"github.com/coopgate/coopgate/internal/database"
)

// Client is the River client type used across coopgate.
type Client = river.Client[pgx.Tx]

// NewInserter makes a client that only inserts jobs; the runner works them.
func NewInserter(pool *pgxpool.Pool, log *slog.Logger) (*Client, error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return c, nil
}

// Prune deletes what its owner no longer needs (expired tokens, sessions,
// counters). Each table's owning package exports its own.
type Prune func(ctx context.Context, db database.Querier) error

// Work is what a runner works.
type Work struct {
	Workers  *river.Workers
	Periodic []*river.PeriodicJob
	// Prune runs every 15 minutes on one replica, in order.
	Prune []Prune
}

// pruneEvery is how often the housekeeping runs.
const pruneEvery = 15 * time.Minute

// NewRunner makes the client that works w's jobs, started by Start.
func NewRunner(pool *pgxpool.Pool, log *slog.Logger, w Work) (*Client, error) {
	if err := river.AddWorkerSafely(w.Workers, &pruneWorker{pool: pool, prune: w.Prune}); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	prune := river.NewPeriodicJob(river.PeriodicInterval(pruneEvery),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:                      log,
		CompletedJobRetentionPeriod: time.Hour, // finished jobs may hold sealed mail; keep them briefly
		Workers:                     w.Workers,
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}},
		PeriodicJobs:                append([]*river.PeriodicJob{prune}, w.Periodic...),
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return c, nil
}

// PruneArgs is the housekeeping job: it runs the owners' Prunes.
type PruneArgs struct{}

// Kind names the job in River's table.
func (PruneArgs) Kind() string { return "prune_expired" }

// InsertOpts keeps one pending prune at a time across replicas.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: pruneEvery}}
}

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	pool  *pgxpool.Pool
	prune []Prune
}

// Work runs the Prunes in order; River retries the job if one fails.
func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	for _, p := range w.prune {
		if err := p(ctx, w.pool); err != nil {
			return fmt.Errorf("prune: %w", err)
		}
	}
	return nil
}
