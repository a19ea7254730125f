package admission

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// Token purposes, as stored.
const (
	purposeVerify      = "verify_email"
	purposeReset       = "reset_password"
	purposeEmailChange = "change_email"
	purposeAddEmail    = "add_email"
)

// issueToken makes a single-use token for a mailed link and supersedes any
// earlier unused one of the same purpose. Only its SHA-256 is stored.
func issueToken(ctx context.Context, tx pgx.Tx, personID, purpose, newEmail string, ttl time.Duration) (string, error) {
	// Requests for links are worked concurrently: without a lock two could
	// each supersede only what was there before, and both their links work.
	if err := people.Lock(ctx, tx, personID); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE email_tokens SET used_at = now() WHERE person_id = $1 AND purpose = $2 AND used_at IS NULL`,
		personID, purpose); err != nil {
		return "", fmt.Errorf("superseding tokens: %w", err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	raw := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(raw))
	_, err := tx.Exec(ctx, `
		INSERT INTO email_tokens (token_hash, person_id, purpose, new_email, expires_at)
		VALUES ($1, $2, $3, nullif($4, ''), now() + $5::interval)`, sum[:], personID, purpose, newEmail, ttl.String())
	if err != nil {
		return "", fmt.Errorf("storing token: %w", err)
	}
	return raw, nil
}

// endLinks makes every unused link of the person for purposes stop working.
func endLinks(ctx context.Context, tx pgx.Tx, personID string, purposes ...string) error {
	_, err := tx.Exec(ctx, `UPDATE email_tokens SET used_at = now() WHERE person_id = $1 AND purpose = ANY($2) AND used_at IS NULL`,
		personID, purposes)
	if err != nil {
		return fmt.Errorf("ending links: %w", err)
	}
	return nil
}

// consumeToken spends a token once; a second use, an expired token or one of
// another purpose is ErrTokenInvalid.
func consumeToken(ctx context.Context, tx pgx.Tx, raw, purpose string) (personID, newEmail string, err error) {
	sum := sha256.Sum256([]byte(raw))
	err = tx.QueryRow(ctx, `
		UPDATE email_tokens SET used_at = now()
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
		RETURNING person_id, coalesce(new_email, '')`, sum[:], purpose).Scan(&personID, &newEmail)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", ErrTokenInvalid
	}
	if err != nil {
		return "", "", fmt.Errorf("spending token: %w", err)
	}
	return personID, newEmail, nil
}

// TokenUsable reports whether a link's token would still work, without
// spending it: the confirmation page before the button.
func (s *Service) TokenUsable(ctx context.Context, raw, purpose string) bool {
	sum := sha256.Sum256([]byte(raw))
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM email_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now())`, sum[:], purpose).Scan(&ok)
	return err == nil && ok
}

// VerifyLink is what the page of a verification link shows before its button.
type VerifyLink struct {
	Usable bool
	// NeedsPassword: the link is open away from the browser that made the
	// sign-up it confirms, so confirming it here sets a password (see Proof).
	NeedsPassword bool
	// Whose sign-up it confirms, so that the owner of the address sees what
	// they are confirming. Shown only to whoever holds the link.
	Name, Username, Email string
}

// CheckVerifyLink says whether a verification link would work, and how,
// without spending it; signedUpAs is the sign-up the browser made, if any.
func (s *Service) CheckVerifyLink(ctx context.Context, raw, signedUpAs string) (VerifyLink, error) {
	sum := sha256.Sum256([]byte(raw))
	var personID string
	err := s.Pool.QueryRow(ctx, `SELECT person_id FROM email_tokens
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`, sum[:], purposeVerify).Scan(&personID)
	if errors.Is(err, pgx.ErrNoRows) {
		return VerifyLink{}, nil
	}
	if err != nil {
		return VerifyLink{}, fmt.Errorf("checking a link: %w", err)
	}
	p, err := people.ByID(ctx, s.Pool, personID)
	if err != nil {
		return VerifyLink{}, err
	}
	link := VerifyLink{Usable: true, Name: p.Name, Username: p.Username, Email: p.Email}
	if p.Status != people.SignedUp {
		return link, nil
	}
	pending, err := people.PendingSignUp(ctx, s.Pool, p.ID)
	if errors.Is(err, people.ErrSignUpLapsed) {
		return VerifyLink{}, nil
	}
	link.NeedsPassword = signedUpAs == "" || pending.SignUpID != signedUpAs
	return link, err
}

// Purposes for TokenUsable.
const (
	PurposeVerify      = purposeVerify
	PurposeReset       = purposeReset
	PurposeEmailChange = purposeEmailChange
	PurposeAddEmail    = purposeAddEmail
)

// Prune deletes mailed-link tokens a week after they expired.
func Prune(ctx context.Context, db database.Querier) error {
	if _, err := db.Exec(ctx, `DELETE FROM email_tokens WHERE expires_at < now() - interval '7 days'`); err != nil {
		return fmt.Errorf("admission: prune: %w", err)
	}
	return nil
}
