package server

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
)

// schemaCheck remembers a positive answer for a while: readiness probes come
// every few seconds, and a replica's schema only falls behind when a newer
// release migrates, which the next check after okFor sees.
type schemaCheck struct {
	pool  *pgxpool.Pool
	okFor time.Duration

	mu      sync.Mutex
	okUntil time.Time
}

func (c *schemaCheck) current(ctx context.Context) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Now().Before(c.okUntil) {
		return true, nil
	}
	ok, err := database.MigrationsCurrent(ctx, c.pool)
	if ok && err == nil {
		c.okUntil = time.Now().Add(c.okFor)
	}
	return ok, err
}
