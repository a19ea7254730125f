package secondfactor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// Grace is a person whose role requires a second factor and who has none:
// their first such login may go on without one, once, so that a new
// secretary is not stopped in the middle of something; every later login
// is sent to set one up first. The grace belongs to the session of that
// login, known by its auth time. It never opens the pages of the role.
type Grace int

// Where a login without a second factor stands.
const (
	GraceUnused Grace = iota // the person may skip setting one up, once
	GraceHere                // this session is the one that used it
	GraceSpent               // another login used it: set one up now
)

// GraceOf says where p's session, logged in at authTime, stands.
func (s *Service) GraceOf(ctx context.Context, personID string, authTime time.Time) (Grace, error) {
	var at time.Time
	err := s.pool.QueryRow(ctx, `SELECT auth_time FROM second_factor_grace WHERE person_id = $1`, personID).Scan(&at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return GraceUnused, nil
	case err != nil:
		return 0, fmt.Errorf("secondfactor: %w", err)
	case at.Equal(authTime):
		return GraceHere, nil
	}
	return GraceSpent, nil
}

// UseGrace spends p's grace on the session logged in at authTime, and
// reports whether it could (it is there once).
func (s *Service) UseGrace(ctx context.Context, p *people.Person, authTime time.Time, actor audit.Actor) (bool, error) {
	var used bool
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO second_factor_grace (person_id, auth_time) VALUES ($1, $2)
			ON CONFLICT (person_id) DO NOTHING`, p.ID, authTime)
		if err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		if used = tag.RowsAffected() == 1; !used {
			return nil
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "second_factor.grace_use", SubjectType: "person", SubjectID: p.ID})
	})
	return used, err
}
