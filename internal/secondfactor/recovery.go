package secondfactor

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// Recovery codes: ten of twelve characters from Crockford's base32 (60
// random bits each), shown as xxxx-xxxx-xxxx. Reading them back forgives
// case, spaces, dashes and the letters people take for digits.
//
// They are stored as HMAC-SHA256 keyed with a key derived from crypto_key,
// and bound to their person, not as argon2id hashes: a slow hash protects
// guessable secrets, and 60 random bits are not guessable offline even
// unkeyed, while ten argon2id checks per try would hand anyone with a
// password a way to load the server. The key keeps a copy of the database
// alone from being worth anything, and the per-person limit on wrong codes
// stops guessing online.
const (
	recoveryCount    = 10
	recoveryLength   = 12
	recoveryAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"
)

func newRecoveryCode() string {
	b := make([]byte, recoveryLength)
	_, _ = rand.Read(b)
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(recoveryAlphabet[c&31]) // 256 is a multiple of 32: no bias
	}
	return out.String()
}

// normaliseRecoveryCode reads a code as typed.
func normaliseRecoveryCode(code string) string {
	r := strings.NewReplacer("-", "", " ", "", "o", "0", "i", "1", "l", "1")
	return r.Replace(strings.ToLower(strings.TrimSpace(code)))
}

func (s *Service) recoveryHash(personID, code string) []byte {
	m := hmac.New(sha256.New, s.codeKey)
	m.Write([]byte(personID + ":" + normaliseRecoveryCode(code)))
	return m.Sum(nil)
}

// replaceRecoveryCodes makes personID a new set of codes, in tx; the old
// ones stop working.
func (s *Service) replaceRecoveryCodes(ctx context.Context, tx pgx.Tx, personID string) ([]string, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM second_factor_recovery_codes WHERE person_id = $1`, personID); err != nil {
		return nil, fmt.Errorf("secondfactor: %w", err)
	}
	codes := make([]string, recoveryCount)
	hashes := make([][]byte, recoveryCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = s.recoveryHash(personID, codes[i])
	}
	_, err := tx.Exec(ctx, `INSERT INTO second_factor_recovery_codes (person_id, code_hash)
		SELECT $1, unnest($2::bytea[])`, personID, hashes)
	if err != nil {
		return nil, fmt.Errorf("secondfactor: %w", err)
	}
	return codes, nil
}

// firstRecoveryCodes gives a person who has no recovery codes their first
// set, with their first factor; nil if they have codes already.
func (s *Service) firstRecoveryCodes(ctx context.Context, tx pgx.Tx, personID string) ([]string, error) {
	var has bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM second_factor_recovery_codes WHERE person_id = $1 AND used_at IS NULL)`,
		personID).Scan(&has)
	if err != nil || has {
		return nil, err
	}
	return s.replaceRecoveryCodes(ctx, tx, personID)
}

// RegenerateRecoveryCodes replaces p's recovery codes with ten new ones,
// returned to be shown once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p *people.Person, actor audit.Actor) ([]string, error) {
	var codes []string
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		f, err := factorsIn(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if !f {
			return ErrNotEnrolled
		}
		if codes, err = s.replaceRecoveryCodes(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, p, "second_factor.recovery_codes_new", nil,
			"New recovery codes were made for your account. The old ones no longer work.")
	})
	return codes, err
}

// UseRecoveryCode spends one of p's recovery codes in place of their
// second factor, and returns how many are left. A code works once.
func (s *Service) UseRecoveryCode(ctx context.Context, p *people.Person, code string, actor audit.Actor) (left int, err error) {
	if err := s.throttled(ctx, p.ID); err != nil {
		return 0, err
	}
	err = database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE second_factor_recovery_codes SET used_at = now()
			WHERE person_id = $1 AND code_hash = $2 AND used_at IS NULL`, p.ID, s.recoveryHash(p.ID, code))
		if err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrWrongCode
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM second_factor_recovery_codes WHERE person_id = $1 AND used_at IS NULL`,
			p.ID).Scan(&left); err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		actor.PersonID, actor.Label = p.ID, p.Email
		return s.record(ctx, tx, actor, p, "second_factor.recovery_code_use", map[string]int{"left": left},
			fmt.Sprintf("A recovery code was used to log in to your account. %d %s left.", left, plural(left, "is", "are")))
	})
	if errors.Is(err, ErrWrongCode) {
		return 0, s.failed(ctx, p.ID, err)
	}
	if err != nil {
		return 0, err
	}
	return left, s.succeeded(ctx, p.ID)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// factorsIn reports, in tx, whether personID has a second factor.
func factorsIn(ctx context.Context, tx pgx.Tx, personID string) (bool, error) {
	var any bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT FROM second_factor_passkeys WHERE person_id = $1)
		OR EXISTS (SELECT FROM second_factor_totp WHERE person_id = $1 AND confirmed_at IS NOT NULL)`, personID).Scan(&any)
	if err != nil {
		return false, fmt.Errorf("secondfactor: %w", err)
	}
	return any, nil
}
