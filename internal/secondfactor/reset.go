package secondfactor

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// ErrUnknownPerson is returned for a reset of nobody.
var ErrUnknownPerson = errors.New("secondfactor: no such person")

// Reset removes all of personID's second factors (passkeys, authenticator
// app, recovery codes), as a secretary does for someone who lost theirs.
// The secretary (actor) cannot reset their own: another secretary must,
// so that one stolen password and session cannot strip a secretary's
// second factor. The person is told by mail; their password stays.
func (s *Service) Reset(ctx context.Context, actor audit.Actor, personID string) error {
	if actor.PersonID == personID {
		return ErrOwnFactors
	}
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := people.ByIDForUpdate(ctx, tx, personID)
		if errors.Is(err, people.ErrNotFound) {
			return ErrUnknownPerson
		}
		if err != nil {
			return err
		}
		var before struct{ Passkeys, TOTP, RecoveryCodes int64 }
		err = tx.QueryRow(ctx, `
			WITH k AS (DELETE FROM second_factor_passkeys WHERE person_id = $1 RETURNING 1),
			     t AS (DELETE FROM second_factor_totp WHERE person_id = $1 RETURNING confirmed_at IS NOT NULL AS confirmed),
			     r AS (DELETE FROM second_factor_recovery_codes WHERE person_id = $1 RETURNING used_at IS NULL AS unused)
			SELECT (SELECT count(*) FROM k), (SELECT count(*) FROM t WHERE confirmed), (SELECT count(*) FROM r WHERE unused)`, p.ID).
			Scan(&before.Passkeys, &before.TOTP, &before.RecoveryCodes)
		if err != nil {
			return fmt.Errorf("secondfactor: resetting: %w", err)
		}
		err = audit.Record(ctx, tx, actor, audit.Event{Action: "second_factor.reset", SubjectType: "person", SubjectID: p.ID,
			Before: map[string]int64{"passkeys": before.Passkeys, "authenticator_apps": before.TOTP, "recovery_codes": before.RecoveryCodes}})
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, p, "The membership secretary reset your second factors: your passkeys, "+
			"authenticator app and recovery codes no longer work. Log in with your password and set up a new second factor.")
	})
}
