package membership

import (
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
)

// Service carries out what the register and dues ask of people's standing.
// Build it with every field set.
type Service struct {
	Pool      *pgxpool.Pool
	Admission *admission.Service // every ending and reinstatement goes through it
	Jobs      *jobs.Client       // enqueues dues notices (an inserter is enough)
	Mail      *mail.Outbox
	Policy    Policy
	Log       *slog.Logger
	Now       func() time.Time
}

// today is the service's date, in UTC.
func (s *Service) today() time.Time { return Day(s.Now()) }

// Errors the pages turn into messages.
var (
	ErrChangeDecided = errors.New("membership: the change was decided already or is no longer pending")
	ErrNotLapsed     = errors.New("membership: the member's dues have not lapsed")
	ErrNotLinked     = errors.New("membership: the person is not linked to a register entry")
	ErrBadDate       = errors.New("membership: the new paid-until date must be later than the present one and not before today")
)
