// Package pgtest gives tests a fresh, fully migrated PostgreSQL database of
// their own on a real server: no mocks of the database.
//
// The server is the one named by COOPGATE_TEST_DATABASE_URL (as `make test`
// starts it, once for the whole run), or else a throwaway cluster this test
// process starts from the system's PostgreSQL binaries and stops when it exits.
// Each test gets its own database, copied from a template migrated once per
// process, and dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/pgcluster"
)

// EnvURL names a server (any database on it, as a superuser) for tests to use.
const EnvURL = "COOPGATE_TEST_DATABASE_URL"

var (
	once     sync.Once
	adminURL string // a superuser connection to the server's postgres database
	template string // name of this process's migrated template database
	setupErr error
)

// New returns a pool on a new migrated database that is dropped after t.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url := NewURL(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewURL is New for tests that open their own connections (a server under
// test): it returns the new database's URL.
func NewURL(t testing.TB) string {
	t.Helper()
	once.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("pgtest: %v", setupErr)
	}
	name := "test_" + randomHex(6)
	ctx := context.Background()
	if err := exec(ctx, adminURL, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err != nil {
		t.Fatalf("pgtest: creating database: %v", err)
	}
	t.Cleanup(func() {
		_ = exec(context.Background(), adminURL, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDatabase(adminURL, name)
}

func setup() error {
	ctx := context.Background()
	adminURL = os.Getenv(EnvURL)
	if adminURL == "" {
		c, err := startCluster(ctx)
		if err != nil {
			return err
		}
		adminURL = c.URL("postgres")
	}
	template = "tmpl_" + randomHex(6)
	if err := exec(ctx, adminURL, "CREATE DATABASE "+template); err != nil {
		return fmt.Errorf("creating template: %w", err)
	}
	pool, err := database.Open(ctx, withDatabase(adminURL, template))
	if err != nil {
		return err
	}
	defer pool.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	return database.Migrate(ctx, pool, quiet)
}

// startCluster starts a throwaway cluster in a folder named for this process,
// first removing folders left by test processes that are gone.
func startCluster(ctx context.Context) (*pgcluster.Cluster, error) {
	root := filepath.Join(os.TempDir(), "coopgate-pgtest")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	sweep(root)
	dir := filepath.Join(root, strconv.Itoa(os.Getpid()))
	return pgcluster.Start(ctx, dir, pgcluster.Options{})
}

func sweep(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err == nil && syscall.Kill(pid, 0) != nil {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(fmt.Sprintf("pgtest: %s is not a URL", EnvURL))
	}
	u.Path = "/" + strings.TrimPrefix(name, "/")
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
