package federation

import (
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
)

// Service records, publishes and carries out the co-op's federation
// decisions. Build it complete with New; its workers go into the runner's
// bundle (AddWorkers) with its PeriodicJobs.
type Service struct {
	pool     *pgxpool.Pool
	jobs     *jobs.Client // enqueues (an inserter is enough)
	mail     *mail.Outbox
	mastodon *mastodon.Client // nil: decisions are recorded and published, not applied
	baseURL  string           // the issuer, for links in mail
	retry    river.ClientRetryPolicy
	now      func() time.Time
	log      *slog.Logger
}

// Deps is what a Service is built from.
type Deps struct {
	Pool *pgxpool.Pool
	Jobs *jobs.Client
	Mail *mail.Outbox
	// Mastodon is the co-op's Mastodon, when enabled; nil leaves the
	// decisions unapplied (and the comparison off).
	Mastodon *mastodon.Client
	BaseURL  string
	// RetryPolicy replaces River's backoff for failed apply jobs (tests);
	// nil keeps River's default, attempt⁴ seconds.
	RetryPolicy river.ClientRetryPolicy
	Now         func() time.Time // nil for time.Now
	Log         *slog.Logger     // nil for none
}

// New builds a Service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{pool: d.Pool, jobs: d.Jobs, mail: d.Mail, mastodon: d.Mastodon, baseURL: d.BaseURL,
		retry: d.RetryPolicy, now: d.Now, log: d.Log}
}

// Applies says whether decisions are carried out on a Mastodon.
func (s *Service) Applies() bool { return s.mastodon != nil }

// today is the date decisions' review dates are compared with, in UTC.
func (s *Service) today() time.Time {
	y, m, d := s.now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Service) link(path string) string { return s.baseURL + path }
