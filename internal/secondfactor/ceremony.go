package secondfactor

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jackc/pgx/v5"
)

// A passkey ceremony (register, or log in) is two requests: the options
// with a fresh challenge, and the authenticator's answer. Between them the
// challenge waits in PostgreSQL, so that any replica can take the answer,
// under a hash of a handle that only the browser's session holds
// (session.Manager.BeginCeremony), and it is taken, deleted, once: an
// answer replayed, or sent from another browser, finds nothing.
const ceremonyTTL = 5 * time.Minute

// The purposes of a ceremony; each finish takes only its own.
const (
	purposeRegister     = "register"
	purposeLogin        = "login"         // a passkey in place of a password: whose is not known yet
	purposeSecondFactor = "second_factor" // a passkey after a password: the person's own
)

func handleHash(handle string) []byte {
	sum := sha256.Sum256([]byte(handle))
	return sum[:]
}

// saveCeremony keeps a ceremony's data under the session's handle; a new
// one of the same purpose replaces the last.
func (s *Service) saveCeremony(ctx context.Context, handle, purpose, personID string, data *webauthn.SessionData) error {
	if handle == "" {
		return ErrNoCeremony
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("secondfactor: %w", err)
	}
	_, err = s.pool.Exec(ctx, `
		INSERT INTO second_factor_challenges (handle_hash, purpose, person_id, ceremony, expires_at)
		VALUES ($1, $2, nullif($3, '')::uuid, $4, $5)
		ON CONFLICT (handle_hash, purpose) DO UPDATE
		SET person_id = excluded.person_id, ceremony = excluded.ceremony, expires_at = excluded.expires_at`,
		handleHash(handle), purpose, personID, b, s.now().Add(ceremonyTTL))
	if err != nil {
		return fmt.Errorf("secondfactor: saving a passkey ceremony: %w", err)
	}
	return nil
}

// takeCeremony takes the session's ceremony of purpose, once, with the
// person it was begun for ("" for a login by passkey).
func (s *Service) takeCeremony(ctx context.Context, handle, purpose string) (webauthn.SessionData, string, error) {
	var data webauthn.SessionData
	if handle == "" {
		return data, "", ErrNoCeremony
	}
	var raw []byte
	var personID string
	var live bool
	err := s.pool.QueryRow(ctx, `
		DELETE FROM second_factor_challenges WHERE handle_hash = $1 AND purpose = $2
		RETURNING ceremony, coalesce(person_id::text, ''), expires_at > $3`,
		handleHash(handle), purpose, s.now()).Scan(&raw, &personID, &live)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !live) {
		return data, "", ErrNoCeremony
	}
	if err != nil {
		return data, "", fmt.Errorf("secondfactor: taking a passkey ceremony: %w", err)
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return data, "", fmt.Errorf("secondfactor: reading a passkey ceremony: %w", err)
	}
	return data, personID, nil
}
