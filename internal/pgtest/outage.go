package pgtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/pgcluster"
)

// Outage is a migrated database on a PostgreSQL server of the test's own, so
// that the test can stop the server mid-request and start it again, as a bad
// day would, without disturbing the tests that share the suite's server.
type Outage struct {
	URL     string // the migrated database, usable again after Start
	dir     string
	cluster *pgcluster.Cluster
}

// NewOutage starts a private server (stopped when t ends) and migrates a
// database on it. It costs a cluster start, so only outage tests use it.
func NewOutage(t testing.TB) *Outage {
	t.Helper()
	root, err := os.MkdirTemp("", "coopgate-outage-")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	_ = os.Chmod(root, 0o755) // the postgres OS user must reach the data folder
	t.Cleanup(func() { os.RemoveAll(root) })
	o := &Outage{dir: filepath.Join(root, "pg")}
	o.Start(t)
	t.Cleanup(o.Stop)
	ctx := context.Background()
	if err := exec(ctx, o.cluster.URL("postgres"), "CREATE DATABASE outage"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	o.URL = o.cluster.URL("outage")
	pool, err := database.Open(ctx, o.URL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer pool.Close()
	if err := database.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("pgtest: migrating: %v", err)
	}
	return o
}

// Stop shuts the server down; connections fail until Start.
func (o *Outage) Stop() {
	if o.cluster != nil {
		o.cluster.Stop()
	}
}

// Start starts the server again on the same port with the same data.
func (o *Outage) Start(t testing.TB) {
	t.Helper()
	c, err := pgcluster.Start(context.Background(), o.dir, pgcluster.Options{})
	if err != nil {
		t.Fatalf("pgtest: starting the outage cluster: %v", err)
	}
	if o.cluster != nil && c.Port != o.cluster.Port {
		t.Fatalf("pgtest: %s", fmt.Sprintf("the restarted server moved from port %d to %d", o.cluster.Port, c.Port))
	}
	o.cluster = c
}
