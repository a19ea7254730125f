package people

import (
	"context"
	"fmt"
	"regexp"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// New is what a person is created with.
type New struct {
	ID               string // the id a sign-up claimed the username for; "" for a new one
	Email            string
	Name             string
	Username         string
	PasswordHash     string
	Status           Status
	Roles            []string
	MembershipNumber string
	EmailVerified    bool
	SignUpNote       string // what an applicant told the secretary on the sign-up form
}

// Errors a form can show beside its field.
var (
	ErrEmailTaken    = fmt.Errorf("email already registered")
	ErrUsernameTaken = fmt.Errorf("username taken")
)

// UsernamePattern is what Mastodon accepts as a local username (it turns the
// OIDC preferred_username into one), so a coopgate username is valid there.
var UsernamePattern = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// Create inserts a person in tx. Their username must be free, or held for
// n.ID by ClaimUsername. A person who only signed up holds it for SignUpHold
// from now (see claims.go); anyone else holds it for good.
func Create(ctx context.Context, tx pgx.Tx, n New) (*Person, error) {
	if n.Roles == nil {
		n.Roles = []string{}
	}
	if n.ID == "" {
		n.ID = uuid.NewString()
	}
	if err := takeUsername(ctx, tx, n.Username, n.ID, n.Status != SignedUp); err != nil {
		return nil, err
	}
	var id string
	err := tx.QueryRow(ctx, `
		INSERT INTO people (id, email, name, username, password_hash, status, roles, membership_number,
		                    email_verified_at, admitted_at, signup_note)
		VALUES ($9, $1, $2, lower($3), $4, $5, $6, nullif($7, ''),
		        CASE WHEN $8 THEN now() END, CASE WHEN $5 = 'admitted' THEN now() END, $10)
		RETURNING id`,
		NormalizeEmail(n.Email), n.Name, n.Username, n.PasswordHash, n.Status, n.Roles,
		n.MembershipNumber, n.EmailVerified, n.ID, n.SignUpNote).Scan(&id)
	switch {
	case database.IsUniqueViolation(err, "people_email_key"):
		return nil, ErrEmailTaken
	case database.IsUniqueViolation(err, "people_username_key"):
		return nil, ErrUsernameTaken
	case err != nil:
		return nil, fmt.Errorf("people: create: %w", err)
	}
	return ByID(ctx, tx, id)
}

// Lock locks the person's row until tx ends, for changes to what hangs off
// the person that must not interleave. NO KEY UPDATE leaves the foreign-key
// checks of other inserts alone.
func Lock(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `SELECT FROM people WHERE id = $1 FOR NO KEY UPDATE`, id); err != nil {
		return fmt.Errorf("people: lock: %w", err)
	}
	return nil
}

// SetStatus moves a person to status, stamping admitted_at / ceased_at.
func SetStatus(ctx context.Context, tx pgx.Tx, id string, status Status) error {
	_, err := tx.Exec(ctx, `
		UPDATE people SET status = $2, updated_at = now(),
		       admitted_at = CASE WHEN $2 = 'admitted' THEN now() ELSE admitted_at END,
		       ceased_at = CASE WHEN $2 = 'ceased' THEN now() WHEN $2 = 'admitted' THEN NULL ELSE ceased_at END
		WHERE id = $1`, id, status)
	if err != nil {
		return fmt.Errorf("people: set status: %w", err)
	}
	return nil
}

// MarkEmailVerified records that the person proved they receive mail at their address.
func MarkEmailVerified(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, `UPDATE people SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("people: verify email: %w", err)
	}
	return nil
}

// SetPasswordHash replaces the password hash.
func SetPasswordHash(ctx context.Context, tx pgx.Tx, id, hash string) error {
	_, err := tx.Exec(ctx, `UPDATE people SET password_hash = $2, updated_at = now() WHERE id = $1`, id, hash)
	if err != nil {
		return fmt.Errorf("people: set password: %w", err)
	}
	return nil
}

// SetEmail replaces the login email with a verified one. One of the
// person's other addresses may become their login email: it then stops
// being one of the others.
func SetEmail(ctx context.Context, tx pgx.Tx, id, email string) error {
	email = NormalizeEmail(email)
	_, err := tx.Exec(ctx, `UPDATE people SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1`, id, email)
	if database.IsUniqueViolation(err, "people_email_key") {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("people: set email: %w", err)
	}
	if _, err := RemoveEmail(ctx, tx, id, email); err != nil {
		return err
	}
	return nil
}

// LinkRegisterEntry ties a person to their entry in the member register.
func LinkRegisterEntry(ctx context.Context, tx pgx.Tx, id string, entryID int64) error {
	_, err := tx.Exec(ctx, `UPDATE people SET register_entry_id = $2, updated_at = now() WHERE id = $1`, id, entryID)
	if err != nil {
		return fmt.Errorf("people: link register entry: %w", err)
	}
	return nil
}

// SetRoles replaces the person's roles.
func SetRoles(ctx context.Context, tx pgx.Tx, id string, roles []string) error {
	if roles == nil {
		roles = []string{}
	}
	if _, err := tx.Exec(ctx, `UPDATE people SET roles = $2, updated_at = now() WHERE id = $1`, id, roles); err != nil {
		return fmt.Errorf("people: set roles: %w", err)
	}
	return nil
}
