package provisioning_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/discourse"
	"github.com/coopgate/coopgate/internal/downstream/discourse/discoursetest"
	"github.com/coopgate/coopgate/internal/downstream/gitlab"
	"github.com/coopgate/coopgate/internal/downstream/gitlab/gitlabtest"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// The credentials the fakes accept.
const (
	mastodonToken = "mastodon-admin-token"
	discourseKey  = "discourse-api-key"
	discourseUser = "system"
	gitlabToken   = "glpat-admin"
	webhookSecret = "webhook-secret"
	// suspensionText is downstream.suspension_text in the harness.
	suspensionText = "Account closed: no longer a member of the co-op."
)

// fastRetry retries a failed job after 100ms instead of River's attempt⁴
// seconds, so fault tests converge in seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

// setup is what a test changes before the harness starts.
type setup struct {
	services      []string // which fakes are enabled; all three by default
	mastodonToken string   // the token coopgate sends; the fake's own by default
	discourseKey  string
	rejectUnknown bool
	noWorkers     bool // enqueue only: a test looks at the jobs themselves
}

// harness is coopgate's downstream machinery on a real PostgreSQL and a real
// River client working its jobs, with the three fakes as the services.
type harness struct {
	pool      *pgxpool.Pool
	prov      *provisioning.Provisioner
	admission *admission.Service
	jobs      *jobs.Client
	mastodon  *mastodontest.Server
	discourse *discoursetest.Server
	gitlab    *gitlabtest.Server
}

func newHarness(t *testing.T, change ...func(*setup)) *harness {
	t.Helper()
	s := setup{services: []string{"mastodon", "discourse", "gitlab"}, mastodonToken: mastodonToken, discourseKey: discourseKey}
	for _, c := range change {
		c(&s)
	}
	h := &harness{pool: pgtest.New(t), mastodon: mastodontest.NewServer(t, mastodonToken),
		discourse: discoursetest.NewServer(t, discourseKey, discourseUser), gitlab: gitlabtest.NewServer(t, gitlabToken)}
	h.discourse.AddGroup("members")
	log := testLogger()
	inserter, err := jobs.NewInserter(h.pool, log)
	if err != nil {
		t.Fatal(err)
	}
	h.jobs = inserter
	h.prov = &provisioning.Provisioner{Pool: h.pool, Services: h.services(t, s), Jobs: inserter,
		WebhookSecret: []byte(webhookSecret), SuspensionText: suspensionText, RetryPolicy: fastRetry{}, Log: log}
	h.admission = &admission.Service{Pool: h.pool, Jobs: inserter, Box: testBox(t),
		Mail: mail.NewOutbox(testMail(t), testBox(t), inserter), BaseURL: "http://id.example.coop", Downstream: h.prov}
	if !s.noWorkers {
		h.startJobs(t, log)
	}
	return h
}

func (h *harness) services(t *testing.T, s setup) []downstream.Service {
	t.Helper()
	var out []downstream.Service
	add := func(svc downstream.Service, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, svc)
	}
	if slices.Contains(s.services, "mastodon") {
		add(mastodon.New(mastodon.Config{BaseURL: h.mastodon.URL, Token: s.mastodonToken, RejectUnknownPending: s.rejectUnknown}, nil))
	}
	if slices.Contains(s.services, "discourse") {
		add(discourse.New(discourse.Config{BaseURL: h.discourse.URL, APIKey: s.discourseKey, APIUsername: discourseUser,
			GroupMap: map[string]string{"member": "members"}}, nil))
	}
	if slices.Contains(s.services, "gitlab") {
		add(gitlab.New(gitlab.Config{BaseURL: h.gitlab.URL, Token: gitlabToken}, nil))
	}
	return out
}

// startJobs works the jobs, as the server does: a runner with the mail and
// downstream workers.
func (h *harness) startJobs(t *testing.T, log *slog.Logger) {
	t.Helper()
	workers := river.NewWorkers()
	if err := mail.AddWorkers(workers, discardMail{}, testBox(t), log, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.prov.AddWorkers(workers); err != nil {
		t.Fatal(err)
	}
	var err error
	if h.jobs, err = jobs.NewRunner(h.pool, log, jobs.Work{Workers: workers}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := h.jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = h.jobs.Stop(stop)
		cancel()
	})
}

func only(services ...string) func(*setup) { return func(s *setup) { s.services = services } }

type discardMail struct{}

func (discardMail) Send(context.Context, mail.Message) error { return nil }

var secretary = audit.Actor{Label: "secretary@example.coop"}

// applicant makes a person awaiting approval with a pending application,
// as sign-up and verification leave someone whose email no rule admits.
func (h *harness) applicant(t *testing.T, username string) (*people.Person, int64) {
	t.Helper()
	ctx := context.Background()
	var p *people.Person
	var appID int64
	err := database.InTx(ctx, h.pool, func(tx pgx.Tx) error {
		var err error
		p, err = people.Create(ctx, tx, people.New{Email: username + "@example.org", Name: "Person " + username,
			Username: username, PasswordHash: "not-a-real-hash", Status: people.AwaitingApproval, EmailVerified: true})
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO applications (person_id) VALUES ($1) RETURNING id`, p.ID).Scan(&appID)
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, appID
}

// member makes an admitted person, enqueueing nothing.
func (h *harness) member(t *testing.T, username string) *people.Person {
	t.Helper()
	p, appID := h.applicant(t, username)
	if _, err := h.pool.Exec(context.Background(), `UPDATE applications SET state = 'approved' WHERE id = $1;`, appID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET status = 'admitted' WHERE id = $1`, p.ID); err != nil {
		t.Fatal(err)
	}
	p.Status = people.Admitted
	return p
}

// approve admits an applicant through the secretary's real action.
func (h *harness) approve(t *testing.T, appID int64) {
	t.Helper()
	if err := h.admission.Approve(context.Background(), appID, secretary); err != nil {
		t.Fatalf("approve: %v", err)
	}
}

// account is the person's downstream_accounts row for service.
func (h *harness) account(t *testing.T, personID, service string) provisioning.Account {
	t.Helper()
	accts, err := provisioning.Accounts(context.Background(), h.pool, personID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accts {
		if a.Service == service {
			return a
		}
	}
	return provisioning.Account{}
}

// jobRow is what a test checks of a River job.
type jobRow struct {
	State    string
	Attempt  int
	Errors   int
	Snoozes  int
	Duration time.Duration // from creation to finalization
}

// jobsOf lists the jobs of kind, oldest first.
func (h *harness) jobsOf(t *testing.T, kind string) []jobRow {
	t.Helper()
	rows, err := h.pool.Query(context.Background(), `
		SELECT state::text, attempt, coalesce(array_length(errors, 1), 0), coalesce((metadata->>'snoozes')::int, 0),
		       coalesce(finalized_at - created_at, interval '0')
		FROM river_job WHERE kind = $1 ORDER BY id`, kind)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[jobRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func describe(v any) string { return fmt.Sprintf("%+v", v) }

// Helpers shared with the other harnesses.
var (
	eventually = apptest.Eventually
	testBox    = apptest.Box
	testMail   = apptest.MailRenderer
	testLogger = apptest.Logger
)
