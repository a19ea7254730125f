package database_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func count(t *testing.T, q database.Querier) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), `SELECT count(*) FROM allowed_domains`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	insert := func(tx pgx.Tx, d string) error {
		_, err := tx.Exec(ctx, `INSERT INTO allowed_domains (domain) VALUES ($1)`, d)
		return err
	}

	if err := database.InTx(ctx, pool, func(tx pgx.Tx) error { return insert(tx, "a.coop") }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := database.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := insert(tx, "b.coop"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || count(t, pool) != 1 {
		t.Fatalf("error did not roll back: err=%v rows=%d", err, count(t, pool))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic swallowed")
			}
		}()
		_ = database.InTx(ctx, pool, func(tx pgx.Tx) error {
			_ = insert(tx, "c.coop")
			panic("bad")
		})
	}()
	if n := count(t, pool); n != 1 {
		t.Fatalf("panic did not roll back: %d rows", n)
	}

	attempts := 0
	err = database.InTx(ctx, pool, func(tx pgx.Tx) error {
		attempts++
		if err := insert(tx, "d.coop"); err != nil {
			return err
		}
		if attempts < 3 {
			return &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
		}
		return nil
	})
	if err != nil || attempts != 3 || count(t, pool) != 2 {
		t.Fatalf("serialization failure not retried from scratch: err=%v attempts=%d rows=%d", err, attempts, count(t, pool))
	}
	attempts = 0
	err = database.InTx(ctx, pool, func(pgx.Tx) error {
		attempts++
		return &pgconn.PgError{Code: "40001"}
	})
	if err == nil || attempts != 5 {
		t.Fatalf("endless serialization failures: err=%v after %d attempts; want an error after 5", err, attempts)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := pgtest.New(t)
	if err := database.Migrate(ctx, pool, discard()); err != nil {
		t.Fatalf("second migrate of a migrated database: %v", err)
	}
	if ok, err := database.MigrationsCurrent(ctx, pool); !ok || err != nil {
		t.Fatalf("MigrationsCurrent = %v, %v", ok, err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("Migrate closed the pool: %v", err)
	}
}
