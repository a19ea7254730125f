// Package peopletest makes people for tests that work on the database
// directly (the provider's storage, policies, sessions, the register): the
// one fixture they share, made through people.Create as sign-up and
// enrolment make people, never by hand-written SQL. Tests that run a whole
// gateway use apptest's Gateway.CreatePerson instead, which admits people
// through admission.Enrol, audit event and service accounts included.
package peopletest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// NoPassword is the password hash people get unless a test gives one: no
// password matches it.
const NoPassword = "x"

// Create makes the person n describes and fails t if it cannot. Only Email
// is needed: the username defaults to the email's local part, the name to
// one made from it, the status to admitted and the password hash to
// NoPassword. The email is verified unless the person only signed up.
func Create(t testing.TB, pool *pgxpool.Pool, n people.New) *people.Person {
	t.Helper()
	if n.Username == "" {
		n.Username, _, _ = strings.Cut(n.Email, "@")
	}
	if n.Name == "" {
		n.Name = strings.ToUpper(n.Username[:1]) + n.Username[1:] + " Example"
	}
	if n.Status == "" {
		n.Status = people.Admitted
	}
	if n.PasswordHash == "" {
		n.PasswordHash = NoPassword
	}
	n.EmailVerified = n.EmailVerified || n.Status != people.SignedUp
	var p *people.Person
	ctx := context.Background()
	err := database.InTx(ctx, pool, func(tx pgx.Tx) (err error) {
		p, err = people.Create(ctx, tx, n)
		return err
	})
	if err != nil {
		t.Fatalf("peopletest: creating %s: %v", n.Email, err)
	}
	return p
}

// Admitted makes an admitted person with a verified email and roles.
func Admitted(t testing.TB, pool *pgxpool.Pool, email string, roles ...string) *people.Person {
	t.Helper()
	return Create(t, pool, people.New{Email: email, Roles: roles})
}
