package admission

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// A member's other email addresses are confirmed by a mailed link, as the
// first was, and then count for admission and for matching the register:
// someone waiting for the secretary whose new address is on an allowed
// domain or in the register is admitted by it, and an admitted member not
// yet linked to the register is linked. The login email stays as it was.

// RequestOtherEmail mails a link to confirm an address the person wants to
// add. An address that already belongs to someone gets no mail and the
// same answer, so the form tells no one who has an account; the page tells
// a person about their own addresses before it asks.
func (s *Service) RequestOtherEmail(ctx context.Context, personID, email string) error {
	email = people.NormalizeEmail(email)
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		if _, err := people.ByAnyEmail(ctx, tx, email); err == nil {
			return nil
		} else if !errors.Is(err, people.ErrNotFound) {
			return err
		}
		token, err := issueToken(ctx, tx, p.ID, purposeAddEmail, email, AddEmailTTL)
		if err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, email, mail.AddEmail{Name: p.Name, NewAddress: email,
			Link: s.link("/account/emails/confirm?token=" + token), Expires: AddEmailTTL})
	})
}

// ConfirmOtherEmail spends the link and adds the address to the person,
// then looks again at their admission with it. It returns the person and
// the address; people.ErrEmailTaken if someone else took it meanwhile.
func (s *Service) ConfirmOtherEmail(ctx context.Context, token string, actor audit.Actor) (*people.Person, string, error) {
	var p *people.Person
	var email string
	var d Decision
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		personID, added, err := consumeToken(ctx, tx, token, purposeAddEmail)
		if err != nil {
			return err
		}
		if p, err = people.ByIDForUpdate(ctx, tx, personID); err != nil {
			return err
		}
		if err := people.AddEmail(ctx, tx, p.ID, added); err != nil {
			return err
		}
		email = added
		actor.PersonID, actor.Label = p.ID, p.Email
		if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.email_add", SubjectType: "person", SubjectID: p.ID,
			After: map[string]any{"email": added}}); err != nil {
			return err
		}
		if d, err = s.reconsider(ctx, tx, p, actor); err != nil {
			return err
		}
		p, err = people.ByID(ctx, tx, p.ID) // as the decision left them
		return err
	})
	if err == nil && d.Admitted {
		s.countAdmitted(d.Rule)
	}
	return p, email, err
}

// RemoveOtherEmail takes one of the person's other addresses away;
// people.ErrNotFound if it is not one of theirs. Standing already decided
// stays: the address counted when it was theirs.
func (s *Service) RemoveOtherEmail(ctx context.Context, personID, email string, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		removed, err := people.RemoveEmail(ctx, tx, personID, email)
		if err != nil {
			return err
		}
		if !removed {
			return people.ErrNotFound
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "person.email_remove", SubjectType: "person", SubjectID: personID,
			Before: map[string]any{"email": people.NormalizeEmail(email)}})
	})
}

// reconsider looks at a person's admission again after they verified
// another address: an application waiting for the secretary is decided by
// the rules if they now admit, and an admitted member not yet linked to the
// register is linked to the entry that holds one of their addresses.
func (s *Service) reconsider(ctx context.Context, tx pgx.Tx, p *people.Person, actor audit.Actor) (Decision, error) {
	switch {
	case p.Status == people.AwaitingApproval:
		d, err := decide(ctx, tx, p)
		if err != nil || !d.Admitted {
			return Decision{}, err
		}
		return d, s.admitWaiting(ctx, tx, p, d, actor)
	case p.Status == people.Admitted && p.RegisterEntryID == nil:
		return Decision{}, s.linkToRegister(ctx, tx, p, actor)
	}
	return Decision{}, nil
}

// admitWaiting admits someone whose application the rules now decide: the
// application is closed as approved by the rule, with its audit event, the
// admission mail and the service accounts, as the secretary's approval has.
func (s *Service) admitWaiting(ctx context.Context, tx pgx.Tx, p *people.Person, d Decision, actor audit.Actor) error {
	var id int64
	err := tx.QueryRow(ctx, `UPDATE applications SET state = 'approved', decided_at = now(), reason = $2
		WHERE person_id = $1 AND state = 'pending' RETURNING id`, p.ID, "admitted by the rule "+d.Rule+" through another verified address").Scan(&id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("closing application: %w", err)
	}
	if d.RegisterEntryID != 0 {
		if err := people.LinkRegisterEntry(ctx, tx, p.ID, d.RegisterEntryID); err != nil {
			return err
		}
	}
	if _, err := move(ctx, tx, p.ID, people.AwaitingApproval, people.Admitted); err != nil {
		return err
	}
	p.Status = people.Admitted
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.admit", SubjectType: "person", SubjectID: p.ID,
		Before: map[string]any{"status": people.AwaitingApproval},
		After:  map[string]any{"status": people.Admitted, "rule": d.Rule, "application": id}}); err != nil {
		return err
	}
	if err := s.Mail.Send(ctx, tx, p.Email, mail.ApplicationApproved{Name: p.Name, Link: s.link("/login")}); err != nil {
		return err
	}
	return s.Downstream.Admitted(ctx, tx, p)
}

// linkToRegister links an admitted member to the active register entry
// holding one of their verified addresses, if there is one.
func (s *Service) linkToRegister(ctx context.Context, tx pgx.Tx, p *people.Person, actor audit.Actor) error {
	emails, err := decidingEmails(ctx, tx, p)
	if err != nil {
		return err
	}
	e, err := registerMatch(ctx, tx, p, emails)
	if err != nil || e == nil {
		return err
	}
	if err := people.LinkRegisterEntry(ctx, tx, p.ID, e.ID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, actor, audit.Event{Action: "person.register_link", SubjectType: "person", SubjectID: p.ID,
		After: map[string]any{"register_entry": e.ID, "membership_number": e.MembershipNumber}})
}
