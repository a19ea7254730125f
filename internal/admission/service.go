package admission

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/seal"
)

// Downstream is told, inside the transaction of the change, when a person's
// standing changes, so it can enqueue the account jobs for the co-op's
// services. It is the seam to internal/downstream. It is not told the
// secretary's reason for a cessation: that stays in the audit log, and the
// services get a neutral text.
type Downstream interface {
	Admitted(ctx context.Context, tx pgx.Tx, p *people.Person) error
	Ceased(ctx context.Context, tx pgx.Tx, p *people.Person) error
	Reinstated(ctx context.Context, tx pgx.Tx, p *people.Person) error
}

// Service carries out admission's transitions. Build it with every field
// set: Downstream too (a Provisioner with no service enabled enqueues
// nothing).
type Service struct {
	Pool       *pgxpool.Pool
	Jobs       *jobs.Client // queues sign-ups and requests for links (an inserter)
	Box        *seal.Box    // seals them, as they hold a password hash and an address
	Mail       *mail.Outbox
	BaseURL    string // the issuer, for links in mail
	Secretary  string // config's secretary_email: told of applications when no secretary has an account
	Downstream Downstream
	Metrics    Metrics // may be nil
}

// Metrics counts sign-ups and admissions, after their transaction commits.
type Metrics interface {
	SignUp()
	Admitted(rule string)
}

// RuleSecretary names admissions decided by the membership secretary.
const RuleSecretary = "secretary"

func (s *Service) countSignUp() {
	if s.Metrics != nil {
		s.Metrics.SignUp()
	}
}

func (s *Service) countAdmitted(rule string) {
	if s.Metrics != nil {
		s.Metrics.Admitted(rule)
	}
}

// How long mailed links work.
const (
	VerifyTTL      = 24 * time.Hour
	ResetTTL       = time.Hour
	EmailChangeTTL = 24 * time.Hour
	AddEmailTTL    = 24 * time.Hour
)

// Errors the pages turn into messages.
var (
	ErrTokenInvalid   = errors.New("this link has expired or was already used")
	ErrAlreadyDecided = errors.New("application already decided")
	ErrWrongStatus    = errors.New("not possible in the person's current status")
	ErrReasonRequired = errors.New("a reason is required")
)

func (s *Service) link(path string) string { return s.BaseURL + path }

// secretaries are the people who decide applications: the admitted
// secretaries, or else the configured address.
func (s *Service) secretaries(ctx context.Context, tx pgx.Tx) ([]mailTo, error) {
	secs, err := people.Secretaries(ctx, tx)
	if err != nil {
		return nil, err
	}
	out := make([]mailTo, 0, len(secs))
	for _, p := range secs {
		out = append(out, mailTo{Email: p.Email, Name: p.Name})
	}
	if len(out) == 0 && s.Secretary != "" {
		out = append(out, mailTo{Email: s.Secretary, Name: "membership secretary"})
	}
	return out, nil
}

type mailTo struct{ Email, Name string }
