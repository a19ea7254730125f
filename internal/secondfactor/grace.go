package secondfactor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// Grace is a person whose role requires a second factor and who has none:
// their first such login may go on without one, once, so that a new
// secretary is not stopped in the middle of something; every later login
// is sent to set one up first. The grace belongs to that one login, known
// by its id (session.Login.ID). It never opens the pages of the role.
type Grace int

// Where a login without a second factor stands.
const (
	GraceUnused Grace = iota // the person may skip setting one up, once
	GraceHere                // this login is the one that used it
	GraceSpent               // another login used it: set one up now
)

func loginHash(loginID string) []byte {
	sum := sha256.Sum256([]byte(loginID))
	return sum[:]
}

// GraceOf says where personID's login loginID stands.
func (s *Service) GraceOf(ctx context.Context, personID, loginID string) (Grace, error) {
	var h []byte
	err := s.pool.QueryRow(ctx, `SELECT login_hash FROM second_factor_grace WHERE person_id = $1`, personID).Scan(&h)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return GraceUnused, nil
	case err != nil:
		return 0, fmt.Errorf("secondfactor: %w", err)
	case loginID != "" && bytes.Equal(h, loginHash(loginID)):
		return GraceHere, nil
	}
	return GraceSpent, nil
}

// UseGrace spends p's grace on their login loginID, and reports whether it
// could (it is there once).
func (s *Service) UseGrace(ctx context.Context, p *people.Person, loginID string, actor audit.Actor) (bool, error) {
	if loginID == "" {
		return false, nil
	}
	var used bool
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO second_factor_grace (person_id, login_hash) VALUES ($1, $2)
			ON CONFLICT (person_id) DO NOTHING`, p.ID, loginHash(loginID))
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
