package admission

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/username"
)

// RuleEnrolled names admissions made by enrolling someone directly.
const RuleEnrolled = "enrolled"

// Enrolment is a member made by someone other than themselves, without the
// sign-up form: `coopgate users create`, `coopgate dev`'s secretary, a test.
type Enrolment struct {
	Email        string // taken as verified: whoever enrols vouches for it
	Name         string
	Username     string
	PasswordHash string
	Roles        []string
}

// Errors Enrol gives for a username a member cannot have.
var (
	ErrUsernameFormat   = errors.New("a username is 1 to 30 of a-z, 0-9 and _")
	ErrUsernameReserved = errors.New("the username is reserved by one of the co-op's services")
)

// Enrol admits a person directly: in one transaction they are created
// admitted, with a verified email, the enrolment is audited and the jobs
// for their accounts on the co-op's services are enqueued, as for anyone
// admitted through the sign-up form; the admission is counted once it
// commits.
func (s *Service) Enrol(ctx context.Context, in Enrolment, actor audit.Actor) (*people.Person, error) {
	switch {
	case !people.UsernamePattern.MatchString(in.Username):
		return nil, ErrUsernameFormat
	case username.Reserved(in.Username):
		return nil, ErrUsernameReserved
	}
	var p *people.Person
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error // people.Create claims the username: ErrUsernameTaken if anyone ever held it
		p, err = people.Create(ctx, tx, people.New{Email: in.Email, Name: in.Name, Username: in.Username,
			PasswordHash: in.PasswordHash, Status: people.Admitted, EmailVerified: true, Roles: in.Roles})
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.enrol", SubjectType: "person", SubjectID: p.ID,
			After: map[string]any{"email": p.Email, "username": p.Username, "roles": p.Roles, "status": p.Status}}); err != nil {
			return err
		}
		return s.Downstream.Admitted(ctx, tx, p)
	})
	if err != nil {
		return nil, err
	}
	s.countAdmitted(RuleEnrolled)
	return p, nil
}
