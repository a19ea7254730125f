package server

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
)

// migrationsCurrent caches a positive answer: once current, a replica's
// schema only falls behind when a newer replica migrates, which the next
// check after the cache expires sees.
var migrationsCache struct {
	sync.Mutex
	okUntil time.Time
}

func migrationsCurrent(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	migrationsCache.Lock()
	defer migrationsCache.Unlock()
	if time.Now().Before(migrationsCache.okUntil) {
		return true, nil
	}
	ok, err := database.MigrationsCurrent(ctx, pool)
	if ok && err == nil {
		migrationsCache.okUntil = time.Now().Add(30 * time.Second)
	}
	return ok, err
}
