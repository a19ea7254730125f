package people

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// A person has one login email (Person.Email, the address in ID tokens)
// and may have other addresses, each verified by a mailed link before it is
// stored here. Admission and the member register's matching consider every
// verified address; logging in takes the login email only.

// MaxOtherEmails bounds the addresses a person may add besides their login
// email: as many as a register entry holds, less the login one.
const MaxOtherEmails = 9

// ErrTooManyEmails is an address past MaxOtherEmails.
var ErrTooManyEmails = errors.New("people: too many email addresses")

// OtherEmail is one of a person's other verified addresses.
type OtherEmail struct {
	Email      string
	VerifiedAt time.Time
}

// OtherEmails lists a person's other verified addresses, oldest first.
func OtherEmails(ctx context.Context, q database.Querier, id string) ([]OtherEmail, error) {
	rows, err := q.Query(ctx, `SELECT email, verified_at FROM person_emails WHERE person_id = $1 ORDER BY verified_at, email`, id)
	if err != nil {
		return nil, fmt.Errorf("people: other emails: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[OtherEmail])
	if err != nil {
		return nil, fmt.Errorf("people: other emails: %w", err)
	}
	return list, nil
}

// VerifiedEmails are the addresses p has proved they receive mail at: the
// login email once verified, then the others.
func VerifiedEmails(ctx context.Context, q database.Querier, p *Person) ([]string, error) {
	others, err := OtherEmails(ctx, q, p.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	if p.EmailVerified {
		out = append(out, p.Email)
	}
	for _, o := range others {
		out = append(out, o.Email)
	}
	return out, nil
}

// ByAnyEmail finds the person an address belongs to, as their login email
// or another of theirs.
func ByAnyEmail(ctx context.Context, q database.Querier, email string) (*Person, error) {
	email = NormalizeEmail(email)
	return scan(q.QueryRow(ctx, selectPerson+`WHERE p.email = $1
		OR p.id = (SELECT person_id FROM person_emails WHERE email = $1)`, email))
}

// AddEmail stores a verified address as one of the person's others:
// ErrEmailTaken if it belongs to anyone (them included, as their login
// email), ErrTooManyEmails past MaxOtherEmails. Adding it again is a no-op.
func AddEmail(ctx context.Context, tx pgx.Tx, id, email string) error {
	email = NormalizeEmail(email)
	if err := Lock(ctx, tx, id); err != nil {
		return err
	}
	others, err := OtherEmails(ctx, tx, id)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(others, func(o OtherEmail) bool { return o.Email == email }) {
		return nil
	}
	if len(others) >= MaxOtherEmails {
		return ErrTooManyEmails
	}
	var own bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM people WHERE id = $1 AND email = $2)`, id, email).Scan(&own); err != nil {
		return fmt.Errorf("people: add email: %w", err)
	}
	if own {
		return ErrEmailTaken
	}
	_, err = tx.Exec(ctx, `INSERT INTO person_emails (email, person_id) VALUES ($1, $2)`, email, id)
	if database.IsUniqueViolation(err, "") {
		return ErrEmailTaken
	}
	if err != nil {
		return fmt.Errorf("people: add email: %w", err)
	}
	return nil
}

// RemoveEmail takes one of a person's other addresses away; it reports
// whether they had it.
func RemoveEmail(ctx context.Context, tx pgx.Tx, id, email string) (bool, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM person_emails WHERE person_id = $1 AND email = $2`, id, NormalizeEmail(email))
	if err != nil {
		return false, fmt.Errorf("people: remove email: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
