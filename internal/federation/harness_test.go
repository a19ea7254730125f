package federation_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/seal"
	"github.com/coopgate/coopgate/policies"
)

const token = "mastodon-admin-token"

// today is the harness's date: review dates are compared with it.
var today = time.Date(2027, time.March, 10, 0, 0, 0, 0, time.UTC)

// fastRetry retries a failed job after 100ms instead of River's attempt⁴
// seconds, so fault tests converge in seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

// harness is the federation decisions on a real PostgreSQL, with River
// working the jobs (unless noWorkers) and the fake Mastodon (unless
// noMastodon), the co-op's policies loaded, and mail recorded.
type harness struct {
	pool *pgxpool.Pool
	fake *mastodontest.Server
	svc  *federation.Service
	sent *mail.RecordingSender
	jobs *jobs.Client
	now  atomic.Pointer[time.Time] // the service's clock; today at nine unless a test moves it
}

// setToday moves the service's clock to nine o'clock on day.
func (h *harness) setToday(day time.Time) {
	at := day.Add(9 * time.Hour)
	h.now.Store(&at)
}

type option func(*setup)

type setup struct{ noWorkers, noMastodon bool }

func noWorkers(s *setup)  { s.noWorkers = true }
func noMastodon(s *setup) { s.noMastodon = true }

func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	var s setup
	for _, o := range opts {
		o(&s)
	}
	ctx := context.Background()
	h := &harness{pool: pgtest.New(t), fake: mastodontest.NewServer(t, token), sent: &mail.RecordingSender{}}
	loaded, err := policy.Load(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	if err := policy.Sync(ctx, h.pool, loaded); err != nil {
		t.Fatal(err)
	}
	log := testLogger()
	if h.jobs, err = jobs.NewInserter(h.pool, log); err != nil {
		t.Fatal(err)
	}
	box, renderer := testBox(t), testMail(t)
	d := federation.Deps{Pool: h.pool, Jobs: h.jobs, Mail: mail.NewOutbox(renderer, box, h.jobs), BaseURL: "http://id.example.coop",
		RetryPolicy: fastRetry{}, Now: func() time.Time { return *h.now.Load() }, Log: log}
	h.setToday(today)
	if !s.noMastodon {
		if d.Mastodon, err = mastodon.New(mastodon.Config{BaseURL: h.fake.URL, Token: token}, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.svc = federation.New(d)
	if !s.noWorkers {
		h.startJobs(t, box, log)
	}
	return h
}

func (h *harness) startJobs(t *testing.T, box *seal.Box, log *slog.Logger) {
	t.Helper()
	workers := river.NewWorkers()
	if err := mail.AddWorkers(workers, h.sent, box, log, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.AddWorkers(workers); err != nil {
		t.Fatal(err)
	}
	runner, err := jobs.NewRunner(h.pool, log, jobs.Work{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = runner.Stop(stop)
		cancel()
	})
}

// moderator makes an admitted moderator and the audit actor for them.
func (h *harness) moderator(t *testing.T, email string) (*people.Person, audit.Actor) {
	t.Helper()
	p := peopletest.Admitted(t, h.pool, email, people.RoleModerator)
	return p, audit.Actor{PersonID: p.ID, Label: p.Email}
}

// spamBlock is a block decision for domain, on the spam ground.
func spamBlock(domain string, sev federation.Severity) federation.NewDecision {
	return federation.NewDecision{Domain: domain, Action: federation.Block, Settings: federation.Settings{Severity: sev},
		Ground: federation.Spam, PublicReason: "Floods of spam", Reference: "https://loomio.example.coop/d/abc", Source: federation.FromForm}
}

func (h *harness) record(t *testing.T, n federation.NewDecision, actor audit.Actor) federation.Decision {
	t.Helper()
	d, err := h.svc.Record(context.Background(), n, actor)
	if err != nil {
		t.Fatalf("recording %+v: %v", n, err)
	}
	return d
}

func (h *harness) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// applied is where carrying domain's decision out stands.
func (h *harness) applied(t *testing.T, domain string) federation.Applied {
	t.Helper()
	states, err := federation.AppliedStates(context.Background(), h.pool)
	if err != nil {
		t.Fatal(err)
	}
	return states[domain]
}

// fakeBlock describes the fake's block of domain, "" when it has none.
func (h *harness) fakeBlock(domain string) string {
	b, ok := h.fake.DomainBlockFor(domain)
	if !ok {
		return ""
	}
	comment := ""
	if b.PublicComment != nil {
		comment = *b.PublicComment
	}
	return fmt.Sprintf("%s media=%v reports=%v obfuscate=%v %q", b.Severity, b.RejectMedia, b.RejectReports, b.Obfuscate, comment)
}

// jobStates lists the states of the jobs of kind, oldest first.
func (h *harness) jobStates(t *testing.T, kind string) string {
	t.Helper()
	rows, err := h.pool.Query(context.Background(), `SELECT state::text FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	states, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(states, " ")
}

// Helpers shared with the other harnesses.
var (
	eventually = apptest.Eventually
	testBox    = apptest.Box
	testMail   = apptest.MailRenderer
	testLogger = apptest.Logger
)
