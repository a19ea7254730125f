package pgtest_test

import (
	"context"
	"testing"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/pgtest"
)

func TestNewGivesAMigratedDatabaseOfItsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	if _, err := a.Exec(ctx, `INSERT INTO allowed_domains (domain) VALUES ('example.coop')`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM allowed_domains`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second database sees %d rows of the first", n)
	}
	current, err := database.MigrationsCurrent(ctx, a)
	if err != nil || !current {
		t.Errorf("MigrationsCurrent = %v, %v; want true", current, err)
	}
	if err := a.QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&n); err != nil {
		t.Errorf("river tables missing: %v", err)
	}
}
