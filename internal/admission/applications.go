package admission

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
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
	return listApplications(ctx, db, `WHERE $1 = '' OR state = $1 ORDER BY state = 'pending' DESC, submitted_at`, state)
}

// ApplicationsOf lists one person's applications, newest first.
func ApplicationsOf(ctx context.Context, db database.Querier, personID string) ([]Application, error) {
	return listApplications(ctx, db, `WHERE person_id = $1 ORDER BY submitted_at DESC`, personID)
}

// listApplications reads the applications, then fills in who applied and
// who decided from internal/people.
func listApplications(ctx context.Context, db database.Querier, where string, arg any) ([]Application, error) {
	rows, err := db.Query(ctx, `SELECT id, person_id::text, submitted_at, note, failed_rule, state,
		coalesce(decided_by::text, ''), decided_at, reason FROM applications `+where, arg)
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	var deciders []string
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Application, error) {
		var a Application
		var decider string
		err := r.Scan(&a.ID, &a.PersonID, &a.SubmittedAt, &a.Note, &a.FailedRule, &a.State, &decider, &a.DecidedAt, &a.Reason)
		deciders = append(deciders, decider)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	ids := slices.Clone(deciders)
	for _, a := range list {
		ids = append(ids, a.PersonID)
	}
	who, err := people.ByIDs(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if p := who[list[i].PersonID]; p != nil {
			list[i].Name, list[i].Email, list[i].Username, list[i].Membership = p.Name, p.Email, p.Username, p.MembershipNumber
		}
		if d := who[deciders[i]]; d != nil {
			list[i].DecidedBy = d.Email
		}
	}
	return list, nil
}
