package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/session"
)

// lockPendingApplication locks an application row; a second secretary's
// decision waits here and then finds it decided.
func lockPendingApplication(ctx context.Context, tx pgx.Tx, id int64) (personID string, err error) {
	var state string
	err = tx.QueryRow(ctx, `SELECT person_id, state FROM applications WHERE id = $1 FOR UPDATE`, id).Scan(&personID, &state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrAlreadyDecided
	}
	if err != nil {
		return "", fmt.Errorf("loading application: %w", err)
	}
	if state != "pending" {
		return "", ErrAlreadyDecided
	}
	return personID, nil
}

func decideApplication(ctx context.Context, tx pgx.Tx, id int64, state, reason string, actor audit.Actor) error {
	_, err := tx.Exec(ctx, `UPDATE applications SET state = $2, reason = $3, decided_by = nullif($4, '')::uuid, decided_at = now()
		WHERE id = $1`, id, state, reason, actor.PersonID)
	if err != nil {
		return fmt.Errorf("deciding application: %w", err)
	}
	return nil
}

// Approve admits an applicant. Safe against double submission and against
// two secretaries at once: exactly one approval (and one audit event) wins.
func (s *Service) Approve(ctx context.Context, applicationID int64, actor audit.Actor) error {
	err := s.approve(ctx, applicationID, actor)
	if err == nil {
		s.countAdmitted(RuleSecretary)
	}
	return err
}

func (s *Service) approve(ctx context.Context, applicationID int64, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		personID, err := lockPendingApplication(ctx, tx, applicationID)
		if err != nil {
			return err
		}
		p, err := move(ctx, tx, personID, people.AwaitingApproval, people.Admitted)
		if err != nil {
			return err
		}
		if err := decideApplication(ctx, tx, applicationID, "approved", "", actor); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, audit.Event{Action: "application.approve", SubjectType: "person", SubjectID: p.ID,
			Before: map[string]any{"status": people.AwaitingApproval}, After: map[string]any{"status": people.Admitted, "application": applicationID}}); err != nil {
			return err
		}
		if err := s.Mail.Send(ctx, tx, p.Email, mail.ApplicationApproved{Name: p.Name, Link: s.link("/login")}); err != nil {
			return err
		}
		return s.Downstream.Admitted(ctx, tx, p)
	})
}

// Reject turns an application down; the reason is mailed to the applicant.
func (s *Service) Reject(ctx context.Context, applicationID int64, reason string, actor audit.Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return ErrReasonRequired
	}
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		personID, err := lockPendingApplication(ctx, tx, applicationID)
		if err != nil {
			return err
		}
		p, err := move(ctx, tx, personID, people.AwaitingApproval, people.Rejected)
		if err != nil {
			return err
		}
		if err := decideApplication(ctx, tx, applicationID, "rejected", reason, actor); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, audit.Event{Action: "application.reject", SubjectType: "person", SubjectID: p.ID,
			Before: map[string]any{"status": people.AwaitingApproval}, After: map[string]any{"status": people.Rejected, "reason": reason, "application": applicationID}}); err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, p.Email, mail.ApplicationRejected{Name: p.Name, Reason: reason})
	})
}

// Cease ends a membership: every session and token of the person ends at
// once, they are told by mail, and their service accounts are suspended.
func (s *Service) Cease(ctx context.Context, personID, reason string, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		_, err := s.CeaseIn(ctx, tx, personID, reason, actor)
		return err
	})
}

// CeaseIn is Cease in the caller's transaction, for a change that ends a
// membership together with a record of its own (a confirmed register
// change, a lapse of dues): both commit, or neither.
func (s *Service) CeaseIn(ctx context.Context, tx pgx.Tx, personID, reason string, actor audit.Actor) (*people.Person, error) {
	reason = strings.TrimSpace(reason)
	p, err := move(ctx, tx, personID, people.Admitted, people.Ceased)
	if err != nil {
		return nil, err
	}
	if err := session.EndAllFor(ctx, tx, p.ID); err != nil {
		return nil, err
	}
	if err := oidc.RevokePerson(ctx, tx, p.ID); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.cease", SubjectType: "person", SubjectID: p.ID,
		Before: map[string]any{"status": people.Admitted}, After: map[string]any{"status": people.Ceased, "reason": reason}}); err != nil {
		return nil, err
	}
	if err := s.Mail.Send(ctx, tx, p.Email, mail.MembershipEnded{Name: p.Name, Reason: reason}); err != nil {
		return nil, err
	}
	return p, s.Downstream.Ceased(ctx, tx, p)
}

// Reinstate admits a former member again.
func (s *Service) Reinstate(ctx context.Context, personID string, actor audit.Actor) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		_, err := s.ReinstateIn(ctx, tx, personID, actor)
		return err
	})
}

// ReinstateIn is Reinstate in the caller's transaction (see CeaseIn).
func (s *Service) ReinstateIn(ctx context.Context, tx pgx.Tx, personID string, actor audit.Actor) (*people.Person, error) {
	p, err := move(ctx, tx, personID, people.Ceased, people.Admitted)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.reinstate", SubjectType: "person", SubjectID: p.ID,
		Before: map[string]any{"status": people.Ceased}, After: map[string]any{"status": people.Admitted}}); err != nil {
		return nil, err
	}
	if err := s.Mail.Send(ctx, tx, p.Email, mail.MembershipReinstated{Name: p.Name, Link: s.link("/login")}); err != nil {
		return nil, err
	}
	return p, s.Downstream.Reinstated(ctx, tx, p)
}

// move locks a person, checks they are in status from and moves them to to:
// the shared first step of every decision, so two decisions cannot interleave.
func move(ctx context.Context, tx pgx.Tx, personID string, from, to people.Status) (*people.Person, error) {
	p, err := people.ByIDForUpdate(ctx, tx, personID)
	if err != nil {
		return nil, err
	}
	if p.Status != from {
		return nil, ErrWrongStatus
	}
	if err := people.SetStatus(ctx, tx, p.ID, to); err != nil {
		return nil, err
	}
	p.Status = to
	return p, nil
}
