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
	"github.com/coopgate/coopgate/internal/policy"
)

// SignUp is what the sign-up form collected, already validated.
type SignUp struct {
	Email            string
	Name             string
	Username         string
	PasswordHash     string
	MembershipNumber string
	Note             string
	Accepted         []policy.PolicyRef
	IP, UserAgent    string
}

// signUp carries out a queued sign-up (see RequestSignUp): it creates a
// person waiting to verify their email, with the id and username claimed
// for them, and mails them the link, in one transaction. An address that
// is already registered gets a mail telling its owner instead, and signUp
// returns a nil person; the username stays claimed, as it would for a new
// address. Run again (a retried job), it does nothing more.
func (s *Service) signUp(ctx context.Context, q queuedSignUp) (*people.Person, error) {
	var created *people.Person
	in, actor := q.SignUp, q.Actor
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		created = nil // a retried transaction starts again
		existing, err := people.ByEmail(ctx, tx, in.Email)
		if err == nil {
			if existing.ID == q.PersonID {
				return nil // done already, by an earlier run of the job
			}
			return s.Mail.Send(ctx, tx, existing.Email, mail.AlreadyRegistered{Name: existing.Name,
				LoginLink: s.link("/login"), ResetLink: s.link("/password/forgot")})
		}
		if !errors.Is(err, people.ErrNotFound) {
			return err
		}
		p, err := people.Create(ctx, tx, people.New{ID: q.PersonID, Email: in.Email, Name: in.Name, Username: in.Username,
			PasswordHash: in.PasswordHash, Status: people.SignedUp, MembershipNumber: in.MembershipNumber, SignUpNote: in.Note})
		if err != nil {
			return err
		}
		if err := policy.Accept(ctx, tx, p.ID, in.Accepted, in.IP, in.UserAgent); err != nil {
			return err
		}
		actor.PersonID, actor.Label = p.ID, p.Email
		if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.sign_up", SubjectType: "person", SubjectID: p.ID,
			After: map[string]any{"username": p.Username, "status": p.Status}}); err != nil {
			return err
		}
		if err := s.sendVerification(ctx, tx, p); err != nil {
			return err
		}
		created = p
		return nil
	})
	if err == nil && created != nil {
		s.countSignUp()
	}
	return created, err
}

func (s *Service) sendVerification(ctx context.Context, tx pgx.Tx, p *people.Person) error {
	token, err := issueToken(ctx, tx, p.ID, purposeVerify, "", VerifyTTL)
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, tx, p.Email, mail.VerifyEmail{Name: p.Name, Link: s.link("/verify?token=" + token), Expires: VerifyTTL})
}

// VerifyEmail spends a verification link and makes the admission decision:
// admitted at once, or an application for the secretary.
func (s *Service) VerifyEmail(ctx context.Context, token string, actor audit.Actor) (*people.Person, Decision, error) {
	var p *people.Person
	var d Decision
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		personID, _, err := consumeToken(ctx, tx, token, purposeVerify)
		if err != nil {
			return err
		}
		if p, err = people.ByIDForUpdate(ctx, tx, personID); err != nil {
			return err
		}
		if err := people.MarkEmailVerified(ctx, tx, p.ID); err != nil {
			return err
		}
		p.EmailVerified = true
		if p.Status != people.SignedUp {
			return nil // verified again after a change of status: nothing to decide
		}
		actor.PersonID, actor.Label = p.ID, p.Email
		if d, err = decide(ctx, tx, p); err != nil {
			return err
		}
		return s.applyDecision(ctx, tx, p, d, actor)
	})
	if err == nil && d.Admitted {
		s.countAdmitted(d.Rule)
	}
	return p, d, err
}

func (s *Service) applyDecision(ctx context.Context, tx pgx.Tx, p *people.Person, d Decision, actor audit.Actor) error {
	if !d.Admitted {
		return s.openApplication(ctx, tx, p, d.FailedRule, actor)
	}
	if d.RegisterEntryID != 0 {
		if err := people.LinkRegisterEntry(ctx, tx, p.ID, d.RegisterEntryID); err != nil {
			return err
		}
	}
	if err := people.SetStatus(ctx, tx, p.ID, people.Admitted); err != nil {
		return err
	}
	p.Status = people.Admitted
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.admit", SubjectType: "person", SubjectID: p.ID,
		Before: map[string]any{"status": people.SignedUp}, After: map[string]any{"status": people.Admitted, "rule": d.Rule}}); err != nil {
		return err
	}
	return s.Downstream.Admitted(ctx, tx, p)
}

func (s *Service) openApplication(ctx context.Context, tx pgx.Tx, p *people.Person, failedRule string, actor audit.Actor) error {
	note, err := people.SignUpNote(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO applications (person_id, note, failed_rule) VALUES ($1, $2, $3) RETURNING id`,
		p.ID, note, failedRule).Scan(&id)
	if err != nil {
		return fmt.Errorf("opening application: %w", err)
	}
	if err := people.SetStatus(ctx, tx, p.ID, people.AwaitingApproval); err != nil {
		return err
	}
	p.Status = people.AwaitingApproval
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "application.open", SubjectType: "person", SubjectID: p.ID,
		After: map[string]any{"application": id, "failed_rule": failedRule}}); err != nil {
		return err
	}
	return s.notifySecretaries(ctx, tx, p, note, failedRule)
}

func (s *Service) notifySecretaries(ctx context.Context, tx pgx.Tx, p *people.Person, note, failedRule string) error {
	secs, err := s.secretaries(ctx, tx)
	if err != nil {
		return err
	}
	for _, sec := range secs {
		err := s.Mail.Send(ctx, tx, sec.Email, mail.ApplicationReceived{Name: sec.Name, FailedRule: failedRule,
			Applicant: mail.Applicant{Name: p.Name, Email: p.Email, Username: p.Username, Note: note},
			Link:      s.link("/admin/applications")})
		if err != nil {
			return err
		}
	}
	return nil
}
