package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// Sign-up and recovery forms are answered before anyone looks at the
// address. The page does the same work for every address (claim the
// username, queue one sealed job) and the job, which no one can time or
// see, finds out whether the address has an account and acts on it: a
// registered address, a new one and one whose sign-up is still to be
// confirmed cannot be told apart on the wire, by the time the answer takes,
// or by whether the username became taken and for how long (people.SignUpHold).

// Seal purposes of the queued requests: they hold a password hash, an
// address and a note, so they never sit readable in river_job.
const (
	sealSignUp   = "admission-signup"
	sealRecovery = "admission-recovery"
)

// requestAttempts keeps a request retried for about three weeks of
// database trouble, as mail is (River's backoff is attempt⁴ seconds).
const requestAttempts = 25

// SignUpArgs is the queued sign-up.
type SignUpArgs struct {
	Sealed []byte `json:"sealed"`
}

// Kind names the job in river_job.
func (SignUpArgs) Kind() string { return "admission_signup" }

// InsertOpts applies to every queued sign-up.
func (SignUpArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: requestAttempts}
}

// RecoveryArgs is a queued request for a mailed link.
type RecoveryArgs struct {
	Sealed []byte `json:"sealed"`
}

// Kind names the job in river_job.
func (RecoveryArgs) Kind() string { return "admission_recovery" }

// InsertOpts applies to every queued request for a link.
func (RecoveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: requestAttempts}
}

// queuedSignUp is a sign-up as queued: what the form collected, the id the
// person will have if the address is new, and who asked.
type queuedSignUp struct {
	SignUp
	PersonID string
	Actor    audit.Actor
}

// What a request for a link asks for.
const (
	wantReset  = "reset"  // a password reset (or, not yet confirmed, a link that confirms and sets the password)
	wantVerify = "verify" // a new confirmation link, if the address is still to be confirmed
)

type queuedRecovery struct {
	Email string
	Want  string
}

// RequestSignUp claims the username for the person the sign-up may create
// and queues the sign-up, in one transaction. It returns the id that person
// will have (the mailed link, opened in the browser that signed up, logs
// them in), people.ErrUsernameTaken, or ErrInvalidSignUp for what no job
// could ever store. Whether the address is new is found out by the job (see
// signUp).
func (s *Service) RequestSignUp(ctx context.Context, in SignUp, actor audit.Actor) (string, error) {
	if err := in.check(); err != nil {
		return "", err
	}
	q := queuedSignUp{SignUp: in, PersonID: uuid.NewString(), Actor: actor}
	plain, err := json.Marshal(q)
	if err != nil {
		return "", fmt.Errorf("admission: %w", err)
	}
	args := SignUpArgs{Sealed: s.Box.Seal(plain, sealSignUp)}
	err = database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := people.ClaimUsername(ctx, tx, in.Username, q.PersonID); err != nil {
			return err
		}
		if _, err := s.Jobs.InsertTx(ctx, tx, args, nil); err != nil {
			return fmt.Errorf("admission: queueing sign-up: %w", err)
		}
		return nil
	})
	return q.PersonID, err
}

// ErrInvalidSignUp is a sign-up that could never be stored: a sign-up is
// refused rather than accepted and lost in the queue. The sign-up form's
// checks and the edge's (internal/server) come first; this is the last.
var ErrInvalidSignUp = errors.New("admission: the sign-up cannot be stored")

// check refuses what PostgreSQL or people would refuse when the job runs.
func (in SignUp) check() error {
	required := map[string]string{"email": in.Email, "name": in.Name, "username": in.Username, "password": in.PasswordHash}
	for field, v := range required {
		if v == "" {
			return fmt.Errorf("%w: no %s", ErrInvalidSignUp, field)
		}
	}
	texts := []string{in.Email, in.Name, in.Username, in.PasswordHash, in.MembershipNumber, in.Note, in.IP, in.UserAgent}
	for _, r := range in.Accepted {
		texts = append(texts, r.ID, r.Version, r.SHA256)
	}
	for _, t := range texts {
		if !utf8.ValidString(t) || strings.ContainsRune(t, 0) {
			return fmt.Errorf("%w: text that is not valid UTF-8 or holds NUL", ErrInvalidSignUp)
		}
	}
	if !people.UsernamePattern.MatchString(strings.ToLower(in.Username)) || strings.Count(in.Email, "@") != 1 {
		return fmt.Errorf("%w: a username or email address of the wrong form", ErrInvalidSignUp)
	}
	return nil
}

// RequestPasswordReset queues a request for a reset link to email. The job
// mails one if the address has an account or a sign-up still to be
// confirmed (its link confirms it too) and nothing otherwise; the page
// says the same either way, after the same work.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	return s.queueRecovery(ctx, queuedRecovery{Email: email, Want: wantReset})
}

// RequestVerificationLink queues a request for a new confirmation link to
// email; the job mails one only if a sign-up there is still to be confirmed.
func (s *Service) RequestVerificationLink(ctx context.Context, email string) error {
	return s.queueRecovery(ctx, queuedRecovery{Email: email, Want: wantVerify})
}

func (s *Service) queueRecovery(ctx context.Context, q queuedRecovery) error {
	q.Email = people.NormalizeEmail(q.Email)
	plain, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("admission: %w", err)
	}
	if _, err := s.Jobs.Insert(ctx, RecoveryArgs{Sealed: s.Box.Seal(plain, sealRecovery)}, nil); err != nil {
		return fmt.Errorf("admission: queueing a link request: %w", err)
	}
	return nil
}

// recover carries out a request for a link.
func (s *Service) recover(ctx context.Context, q queuedRecovery) error {
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByEmail(ctx, tx, q.Email)
		switch {
		case errors.Is(err, people.ErrNotFound):
			return nil
		case err != nil:
			return err
		case p.Status == people.SignedUp:
			return s.recoverSignUp(ctx, tx, p, q.Want)
		case q.Want == wantVerify:
			return nil
		}
		token, err := issueToken(ctx, tx, p.ID, purposeReset, "", ResetTTL)
		if err != nil {
			return err
		}
		return s.Mail.Send(ctx, tx, p.Email, mail.PasswordReset{Name: p.Name, Link: s.link("/password/reset?token=" + token), Expires: ResetTTL})
	})
}

// recoverSignUp answers a request for a link to an address whose sign-up is
// still to be confirmed. A new confirmation link confirms it as it was made
// (see Proof); a reset link confirms it and sets the password chosen, so
// that a sign-up made by someone else never keeps their password. A sign-up
// that lapsed is past confirming: the mail says to sign up again.
func (s *Service) recoverSignUp(ctx context.Context, tx pgx.Tx, p *people.Person, want string) error {
	pending, err := people.PendingSignUp(ctx, tx, p.ID)
	if errors.Is(err, people.ErrSignUpLapsed) {
		return s.Mail.Send(ctx, tx, p.Email, mail.SignUpLapsed{Link: s.link("/signup")})
	}
	if err != nil {
		return err
	}
	if want == wantVerify {
		return s.sendVerification(ctx, tx, p)
	}
	ttl := min(ResetTTL, pending.Left)
	token, err := issueToken(ctx, tx, p.ID, purposeReset, "", ttl)
	if err != nil {
		return err
	}
	return s.Mail.Send(ctx, tx, p.Email, mail.PasswordReset{Name: p.Name, Link: s.link("/password/reset?token=" + token),
		Expires: ttl, Unconfirmed: true})
}

// AddWorkers registers the workers of the queued requests with the bundle
// of the runner, which is made after s.
func AddWorkers(workers *river.Workers, s *Service) error {
	if err := river.AddWorkerSafely(workers, &signUpWorker{s: s}); err != nil {
		return fmt.Errorf("admission: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &recoveryWorker{s: s}); err != nil {
		return fmt.Errorf("admission: %w", err)
	}
	return nil
}

type signUpWorker struct {
	river.WorkerDefaults[SignUpArgs]
	s *Service
}

func (w *signUpWorker) Work(ctx context.Context, job *river.Job[SignUpArgs]) error {
	var q queuedSignUp
	if err := w.s.open(job.Args.Sealed, sealSignUp, &q); err != nil {
		return river.JobCancel(err) // another key or damaged data: no retry can open it
	}
	_, err := w.s.signUp(ctx, q)
	if errors.Is(err, people.ErrUsernameTaken) {
		// The claim made when the form was answered guards the name; only
		// a claim changed by hand since could get here.
		return river.JobCancel(fmt.Errorf("admission: sign-up's username was claimed by someone else: %w", err))
	}
	return err
}

type recoveryWorker struct {
	river.WorkerDefaults[RecoveryArgs]
	s *Service
}

func (w *recoveryWorker) Work(ctx context.Context, job *river.Job[RecoveryArgs]) error {
	var q queuedRecovery
	if err := w.s.open(job.Args.Sealed, sealRecovery, &q); err != nil {
		return river.JobCancel(err)
	}
	return w.s.recover(ctx, q)
}

func (s *Service) open(sealed []byte, purpose string, v any) error {
	plain, err := s.Box.Open(sealed, purpose)
	if err != nil {
		return fmt.Errorf("admission: opening a queued request: %w", err)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("admission: decoding a queued request: %w", err)
	}
	return nil
}
