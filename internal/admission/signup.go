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

// signUp carries out a queued sign-up (see RequestSignUp), in one
// transaction, according to what the address turns out to be:
//   - new: a person waiting to confirm their address is made, with the id
//     and username claimed for them, and mailed the link;
//   - a sign-up still to be confirmed: this one takes its place (see
//     replaceSignUp);
//   - registered: its owner is mailed that they have an account, and signUp
//     returns a nil person; the username stays held as long as it would be
//     for a new address.
//
// Run again (a retried job), it does nothing more.
func (s *Service) signUp(ctx context.Context, q queuedSignUp) (*people.Person, error) {
	var created *people.Person
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		created = nil // a retried transaction starts again
		// Someone's other address is as taken as a login email.
		existing, err := people.ByAnyEmail(ctx, tx, q.Email)
		switch {
		case errors.Is(err, people.ErrNotFound):
			created, err = s.createSignUp(ctx, tx, q)
			return err
		case err != nil:
			return err
		case existing.ID == q.PersonID:
			return nil // done already, by an earlier run of the job
		case existing.Status == people.SignedUp:
			return s.replaceSignUp(ctx, tx, existing.ID, q)
		}
		return s.alreadyRegistered(ctx, tx, existing, q)
	})
	if err == nil && created != nil {
		s.countSignUp()
	}
	return created, err
}

func (s *Service) createSignUp(ctx context.Context, tx pgx.Tx, q queuedSignUp) (*people.Person, error) {
	in, actor := q.SignUp, q.Actor
	p, err := people.Create(ctx, tx, people.New{ID: q.PersonID, Email: in.Email, Name: in.Name, Username: in.Username,
		PasswordHash: in.PasswordHash, Status: people.SignedUp, MembershipNumber: in.MembershipNumber, SignUpNote: in.Note})
	if err != nil {
		return nil, err
	}
	if err := policy.Accept(ctx, tx, p.ID, in.Accepted, in.IP, in.UserAgent); err != nil {
		return nil, err
	}
	actor.PersonID, actor.Label = p.ID, p.Email
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "person.sign_up", SubjectType: "person", SubjectID: p.ID,
		After: map[string]any{"username": p.Username, "status": p.Status}}); err != nil {
		return nil, err
	}
	return p, s.sendVerification(ctx, tx, p)
}

// replaceSignUp puts sign-up q in place of the one still to be confirmed at
// its address. Whoever made that one may not be the address's owner: the
// newer sign-up's name, username and password replace it, its links stop
// working, and the one link mailed now confirms only the newer sign-up.
// Nobody who signed up for an address they cannot read keeps a way in.
func (s *Service) replaceSignUp(ctx context.Context, tx pgx.Tx, personID string, q queuedSignUp) error {
	p, err := people.ByIDForUpdate(ctx, tx, personID)
	if err != nil {
		return err
	}
	if pending, err := people.PendingSignUp(ctx, tx, p.ID); err == nil && pending.SignUpID == q.PersonID {
		return nil // done already, by an earlier run of the job
	}
	in := q.SignUp
	err = people.ReplaceSignUp(ctx, tx, p.ID, q.PersonID, people.SignUpDetails{Name: in.Name, Username: in.Username,
		PasswordHash: in.PasswordHash, MembershipNumber: in.MembershipNumber, SignUpNote: in.Note})
	if err != nil {
		return err
	}
	if err := endLinks(ctx, tx, p.ID, purposeVerify, purposeReset); err != nil {
		return err
	}
	if err := policy.Accept(ctx, tx, p.ID, in.Accepted, in.IP, in.UserAgent); err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, q.Actor, audit.Event{Action: "person.sign_up_replace", SubjectType: "person", SubjectID: p.ID,
		Before: map[string]any{"username": p.Username}, After: map[string]any{"username": in.Username}}); err != nil {
		return err
	}
	p.Name, p.Username = in.Name, in.Username
	return s.sendVerification(ctx, tx, p)
}

// alreadyRegistered tells the owner of a registered address that someone,
// perhaps they, tried to sign up with it; the secretary sees it in the log.
func (s *Service) alreadyRegistered(ctx context.Context, tx pgx.Tx, p *people.Person, q queuedSignUp) error {
	if err := audit.Record(ctx, tx, q.Actor, audit.Event{Action: "person.sign_up_registered_address", SubjectType: "person",
		SubjectID: p.ID, After: map[string]any{"username_asked": q.Username}}); err != nil {
		return err
	}
	return s.Mail.Send(ctx, tx, p.Email, mail.AlreadyRegistered{Name: p.Name,
		LoginLink: s.link("/login"), ResetLink: s.link("/password/forgot")})
}

// sendVerification mails p, who only signed up, a link to confirm their
// live sign-up; it works no longer than the sign-up holds its username.
func (s *Service) sendVerification(ctx context.Context, tx pgx.Tx, p *people.Person) error {
	pending, err := people.PendingSignUp(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	ttl := min(VerifyTTL, pending.Left)
	token, err := issueToken(ctx, tx, p.ID, purposeVerify, "", ttl)
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, tx, p.Email, mail.VerifyEmail{Name: p.Name, Link: s.link("/verify?token=" + token), Expires: ttl})
}

// Proof is what the confirmation of a sign-up brings to show that the
// password the person will log in with is theirs. A verification link
// proves only that someone reads the address's mail: the password stored
// is whoever signed up's, and that may be someone else, who then waits for
// the owner to confirm. So the stored password is kept only when the link
// is followed in the browser that made the sign-up it was mailed for;
// anywhere else the person chooses a password as they confirm.
type Proof struct {
	SignedUpAs   string // the sign-up this browser made (session.SignedUpAs), if any
	PasswordHash string // the password chosen on the link's page, hashed; "" for none
}

// ErrPasswordNeeded is a verification link followed away from the browser
// that made its sign-up, without a password chosen: nothing was spent.
var ErrPasswordNeeded = errors.New("admission: confirming this sign-up here needs a password chosen")

// Verification is what following a verification link did.
type Verification struct {
	Person   *people.Person
	Decision Decision
	// Confirmed is true when the link confirmed a sign-up (rather than an
	// address confirmed already): the browser that did it may be logged in.
	Confirmed bool
}

// VerifyEmail spends a verification link, confirms the sign-up it was
// mailed for, and makes the admission decision: admitted at once, or an
// application for the secretary.
func (s *Service) VerifyEmail(ctx context.Context, token string, proof Proof, actor audit.Actor) (Verification, error) {
	var v Verification
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		v = Verification{}
		personID, _, err := consumeToken(ctx, tx, token, purposeVerify)
		if err != nil {
			return err
		}
		p, err := people.ByIDForUpdate(ctx, tx, personID)
		if err != nil {
			return err
		}
		v.Person = p
		if p.Status != people.SignedUp {
			p.EmailVerified = true
			return people.MarkEmailVerified(ctx, tx, p.ID) // after a change of status: nothing to decide
		}
		chose, err := s.provePassword(ctx, tx, p, proof)
		if err != nil {
			return err
		}
		v.Confirmed = true
		v.Decision, err = s.confirmSignUp(ctx, tx, p, "verification_link", chose, actor)
		return err
	})
	if err == nil && v.Decision.Admitted {
		s.countAdmitted(v.Decision.Rule)
	}
	return v, err
}

// provePassword applies Proof to p's live sign-up: it keeps the stored
// password for the browser that made the sign-up, and otherwise sets the
// one chosen (reporting so) or answers ErrPasswordNeeded.
func (s *Service) provePassword(ctx context.Context, tx pgx.Tx, p *people.Person, proof Proof) (chose bool, err error) {
	pending, err := people.PendingSignUp(ctx, tx, p.ID)
	if errors.Is(err, people.ErrSignUpLapsed) {
		return false, ErrTokenInvalid
	}
	if err != nil {
		return false, err
	}
	if proof.SignedUpAs != "" && proof.SignedUpAs == pending.SignUpID {
		return false, nil
	}
	if proof.PasswordHash == "" {
		return false, ErrPasswordNeeded
	}
	return true, people.SetPasswordHash(ctx, tx, p.ID, proof.PasswordHash)
}

// confirmSignUp makes p's sign-up theirs for good once a mailed link proved
// the address (via says which link), ends its other links, and decides.
func (s *Service) confirmSignUp(ctx context.Context, tx pgx.Tx, p *people.Person, via string, passwordChosen bool, actor audit.Actor) (Decision, error) {
	err := people.ConfirmSignUp(ctx, tx, p.ID)
	if errors.Is(err, people.ErrSignUpLapsed) {
		return Decision{}, ErrTokenInvalid
	}
	if err != nil {
		return Decision{}, err
	}
	p.EmailVerified = true
	if err := endLinks(ctx, tx, p.ID, purposeVerify, purposeReset); err != nil {
		return Decision{}, err
	}
	actor.PersonID, actor.Label = p.ID, p.Email
	err = audit.Record(ctx, tx, actor, audit.Event{Action: "person.confirm_sign_up", SubjectType: "person", SubjectID: p.ID,
		After: map[string]any{"via": via, "password_chosen_now": passwordChosen}})
	if err != nil {
		return Decision{}, err
	}
	d, err := decide(ctx, tx, p)
	if err != nil {
		return Decision{}, err
	}
	return d, s.applyDecision(ctx, tx, p, d, actor)
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
