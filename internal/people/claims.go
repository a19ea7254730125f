package people

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// Usernames are held in username_claims. A sign-up holds its name from the
// moment its form is answered, for whatever id it is given (the person it
// will make if the address is new; nobody if the address has an account),
// but only for SignUpHold: a sign-up never confirmed, for a new address or a
// registered one alike, lets its name go then, so no one can squat names
// with sign-ups and a name's freeing up says nothing about the address.
// Confirming the address holds the name for good; a name once held for good
// is never reused (Mastodon turns it into the account's name).

// SignUpHold is how long a sign-up not yet confirmed holds its username: the
// lifetime of its first verification link.
const SignUpHold = 24 * time.Hour

// ErrSignUpLapsed is a sign-up whose hold on its username ran out before its
// address was confirmed: it can no longer be confirmed, only made again.
var ErrSignUpLapsed = errors.New("people: the sign-up was not confirmed in time")

// ClaimUsername holds username for the sign-up id for SignUpHold:
// ErrUsernameTaken if anyone else holds it.
func ClaimUsername(ctx context.Context, tx pgx.Tx, username, id string) error {
	return takeUsername(ctx, tx, username, id, false)
}

// takeUsername holds username for id, for good or for SignUpHold from now,
// unless someone else holds it. A lapsed hold is taken over, and the
// sign-up that lapsed gives up the name in its row as well.
func takeUsername(ctx context.Context, tx pgx.Tx, username, id string, forGood bool) error {
	var holder string
	var live bool
	err := tx.QueryRow(ctx, `SELECT person_id, expires_at IS NULL OR expires_at > now()
		FROM username_claims WHERE username = lower($1) FOR UPDATE`, username).Scan(&holder, &live)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return insertClaim(ctx, tx, username, id, forGood)
	case err != nil:
		return fmt.Errorf("people: claiming username: %w", err)
	case live && holder != id:
		return ErrUsernameTaken
	}
	if _, err := tx.Exec(ctx, `UPDATE username_claims SET person_id = $2, claimed_at = now(),
		expires_at = CASE WHEN $3 THEN NULL ELSE now() + $4::interval END WHERE username = lower($1)`,
		username, id, forGood, SignUpHold.String()); err != nil {
		return fmt.Errorf("people: claiming username: %w", err)
	}
	return releaseLapsed(ctx, tx, username, id)
}

func insertClaim(ctx context.Context, tx pgx.Tx, username, id string, forGood bool) error {
	tag, err := tx.Exec(ctx, `INSERT INTO username_claims (username, person_id, expires_at)
		VALUES (lower($1), $2, CASE WHEN $3 THEN NULL ELSE now() + $4::interval END)
		ON CONFLICT (username) DO NOTHING`, username, id, forGood, SignUpHold.String())
	if err != nil {
		return fmt.Errorf("people: claiming username: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrUsernameTaken // claimed meanwhile by a sign-up that committed first
	}
	return nil
}

// releaseLapsed takes username from the row of a sign-up whose hold lapsed
// (the row stays: its policy acceptances and audit events name it). Its
// place-holder, "~" and the row's id, is no valid username, so it can never
// be asked for.
func releaseLapsed(ctx context.Context, tx pgx.Tx, username, id string) error {
	_, err := tx.Exec(ctx, `UPDATE people SET username = '~' || id::text, updated_at = now()
		WHERE lower(username) = lower($1) AND id <> $2 AND status = 'signed_up'`, username, id)
	if err != nil {
		return fmt.Errorf("people: releasing a lapsed username: %w", err)
	}
	return nil
}

// SignUpDetails are what a sign-up says about the person.
type SignUpDetails struct {
	Name             string
	Username         string
	PasswordHash     string
	MembershipNumber string
	SignUpNote       string
}

// ReplaceSignUp puts a newer sign-up for the address of id, a person who
// only signed up, in place of theirs: its name, username (which the sign-up
// signUpID holds, from now on for SignUpHold), password and note. The
// username of the sign-up replaced stays held until its hold lapses, as it
// would for a sign-up of a registered address.
func ReplaceSignUp(ctx context.Context, tx pgx.Tx, id, signUpID string, d SignUpDetails) error {
	if err := takeUsername(ctx, tx, d.Username, signUpID, false); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `
		UPDATE people SET name = $2, username = lower($3), password_hash = $4, membership_number = nullif($5, ''),
		       signup_note = $6, updated_at = now()
		WHERE id = $1 AND status = 'signed_up'`,
		id, d.Name, d.Username, d.PasswordHash, d.MembershipNumber, d.SignUpNote)
	if err != nil {
		return fmt.Errorf("people: replacing a sign-up: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}

// Pending is the sign-up a person who only signed up stands for.
type Pending struct {
	SignUpID string        // the sign-up whose details the row holds: the browser that made it confirms without a password
	Left     time.Duration // until its hold on the username, and every link to confirm it, runs out
}

// PendingSignUp is the live sign-up of id, a person who only signed up, or
// ErrSignUpLapsed.
func PendingSignUp(ctx context.Context, q database.Querier, id string) (Pending, error) {
	var p Pending
	var left float64
	err := q.QueryRow(ctx, `
		SELECT c.person_id, extract(epoch FROM c.expires_at - now())
		FROM people p JOIN username_claims c ON c.username = lower(p.username)
		WHERE p.id = $1 AND p.status = 'signed_up' AND c.expires_at > now()`, id).Scan(&p.SignUpID, &left)
	if errors.Is(err, pgx.ErrNoRows) {
		return Pending{}, ErrSignUpLapsed
	}
	if err != nil {
		return Pending{}, fmt.Errorf("people: pending sign-up: %w", err)
	}
	p.Left = time.Duration(left * float64(time.Second))
	return p, nil
}

// ConfirmSignUp makes the live sign-up of id, a person who only signed up,
// theirs for good: the username is held for them for good and their email
// is verified. ErrSignUpLapsed if the sign-up ran out first. The caller
// moves them on from signed_up.
func ConfirmSignUp(ctx context.Context, tx pgx.Tx, id string) error {
	tag, err := tx.Exec(ctx, `
		UPDATE username_claims c SET person_id = p.id, expires_at = NULL
		FROM people p
		WHERE p.id = $1 AND p.status = 'signed_up' AND c.username = lower(p.username) AND c.expires_at > now()`, id)
	if err != nil {
		return fmt.Errorf("people: confirming a sign-up: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return ErrSignUpLapsed
	}
	return MarkEmailVerified(ctx, tx, id)
}
