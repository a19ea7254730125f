package admission

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// Application is an applicant's request, as the secretary sees it.
type Application struct {
	ID          int64
	PersonID    string
	Name        string
	Email       string
	Username    string
	Membership  string // membership number they gave, if any
	SubmittedAt time.Time
	Note        string
	FailedRule  string
	State       string // pending / approved / rejected
	DecidedBy   string // the secretary's email
	DecidedAt   *time.Time
	Reason      string
}

// Applications lists applications in a state ("" for all), oldest pending first.
func Applications(ctx context.Context, db database.Querier, state string) ([]Application, error) {
	rows, err := db.Query(ctx, `
		SELECT a.id, a.person_id, p.name, p.email, p.username, coalesce(p.membership_number, ''), a.submitted_at,
		       a.note, a.failed_rule, a.state, coalesce(d.email, ''), a.decided_at, a.reason
		FROM applications a JOIN people p ON p.id = a.person_id LEFT JOIN people d ON d.id = a.decided_by
		WHERE $1 = '' OR a.state = $1
		ORDER BY a.state = 'pending' DESC, a.submitted_at`, state)
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Application])
}

// ApplicationsOf lists one person's applications, newest first.
func ApplicationsOf(ctx context.Context, db database.Querier, personID string) ([]Application, error) {
	rows, err := db.Query(ctx, `
		SELECT a.id, a.person_id, p.name, p.email, p.username, coalesce(p.membership_number, ''), a.submitted_at,
		       a.note, a.failed_rule, a.state, coalesce(d.email, ''), a.decided_at, a.reason
		FROM applications a JOIN people p ON p.id = a.person_id LEFT JOIN people d ON d.id = a.decided_by
		WHERE a.person_id = $1 ORDER BY a.submitted_at DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Application])
}
