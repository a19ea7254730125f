package admission

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/session"
)

// ResetPassword spends a reset link and sets the new password. Every session
// and token of the person ends: whoever knew the old password is out. For
// an address whose sign-up was still to be confirmed, the link confirms it
// (with the password chosen now, never the one stored at sign-up) and the
// admission decision is made.
func (s *Service) ResetPassword(ctx context.Context, token, newHash string, actor audit.Actor) (*people.Person, error) {
	var p *people.Person
	var d Decision
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d = Decision{}
		personID, _, err := consumeToken(ctx, tx, token, purposeReset)
		if err != nil {
			return err
		}
		if p, err = people.ByIDForUpdate(ctx, tx, personID); err != nil {
			return err
		}
		if err := people.SetPasswordHash(ctx, tx, p.ID, newHash); err != nil {
			return err
		}
		if p.Status == people.SignedUp {
			if d, err = s.confirmSignUp(ctx, tx, p, "reset_link", true, actor); err != nil {
				return err
			}
		}
		if err := session.EndAllFor(ctx, tx, p.ID); err != nil {
			return err
		}
		if err := oidc.RevokePerson(ctx, tx, p.ID); err != nil {
			return err
		}
		// Whoever followed the link is the owner: guesses made at the old
		// password are moot, and the login page promised this lifts the lock.
		if err := lockout.Clear(ctx, tx, p.Email, actor.IP); err != nil {
			return err
		}
		actor.PersonID, actor.Label = p.ID, p.Email
		return audit.Record(ctx, tx, actor, audit.Event{Action: "person.password_reset", SubjectType: "person", SubjectID: p.ID})
	})
	if err == nil && d.Admitted {
		s.countAdmitted(d.Rule)
	}
	return p, err
}

// RequestEmailChange mails a confirmation link to the new address; the login
// email changes only when it is followed.
func (s *Service) RequestEmailChange(ctx context.Context, personID, newEmail string) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		newEmail = people.NormalizeEmail(newEmail)
		// An address of anyone's is taken, but one of their own other
		// addresses may become their login email.
		if owner, err := people.ByAnyEmail(ctx, tx, newEmail); err == nil && owner.ID != p.ID {
			return people.ErrEmailTaken
		}
		token, err := issueToken(ctx, tx, p.ID, purposeEmailChange, newEmail, EmailChangeTTL)
		if err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, newEmail, mail.EmailChange{Name: p.Name, NewAddress: newEmail,
			Link: s.link("/account/email/confirm?token=" + token), Expires: EmailChangeTTL})
	})
}

// ConfirmEmailChange spends the link and makes the new address the login email.
func (s *Service) ConfirmEmailChange(ctx context.Context, token string, actor audit.Actor) (*people.Person, error) {
	var p *people.Person
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		personID, newEmail, err := consumeToken(ctx, tx, token, purposeEmailChange)
		if err != nil {
			return err
		}
		if p, err = people.ByIDForUpdate(ctx, tx, personID); err != nil {
			return err
		}
		if err := people.SetEmail(ctx, tx, p.ID, newEmail); err != nil {
			return err
		}
		actor.PersonID, actor.Label = p.ID, p.Email
		err = audit.Record(ctx, tx, actor, audit.Event{Action: "person.email_change", SubjectType: "person", SubjectID: p.ID,
			Before: map[string]any{"email": p.Email}, After: map[string]any{"email": newEmail}})
		p.Email = newEmail
		return err
	})
	return p, err
}
