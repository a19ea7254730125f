package session

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// Info is one of a person's live sessions, as their data export lists it.
type Info struct {
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used"`
	ExpiresAt time.Time `json:"expires_at"`
}

// List is personID's live sessions, oldest first.
func List(ctx context.Context, q database.Querier, personID string) ([]Info, error) {
	rows, err := q.Query(ctx, `SELECT created_at, updated_at, expires_at FROM web_sessions
		WHERE person_id = $1 AND expires_at > now() ORDER BY created_at`, personID)
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Info])
	if err != nil {
		return nil, fmt.Errorf("listing sessions: %w", err)
	}
	return out, nil
}
