package provisioning

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/discourse"
	"github.com/coopgate/coopgate/internal/downstream/gitlab"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/people"
)

// Provisioner enqueues and works the account jobs for the enabled services.
// Build it with its job client (an inserter is enough), then register its
// workers with the runner's bundle (AddWorkers) and hand the runner its
// PeriodicJobs.
type Provisioner struct {
	Pool     *pgxpool.Pool
	Services []downstream.Service // the enabled services; none is fine
	Jobs     *jobs.Client         // enqueues
	// WebhookSecret verifies Mastodon's webhook; empty turns the webhook off.
	WebhookSecret []byte
	// SuspensionText is what the services are told when a former member's
	// account is suspended: downstream.suspension_text, never the
	// secretary's words. Empty means DefaultSuspensionText.
	SuspensionText string
	// RetryPolicy replaces River's backoff for failed account jobs (tests); nil
	// keeps River's default, attempt⁴ seconds.
	RetryPolicy river.ClientRetryPolicy
	Log         *slog.Logger
}

// DefaultSuspensionText is the neutral suspension text when none is configured.
const DefaultSuspensionText = "Membership of the co-op ended."

// Services builds a client for each enabled service. hc may be nil.
func Services(cfg config.Downstream, hc *http.Client) ([]downstream.Service, error) {
	var out []downstream.Service
	if m := cfg.Mastodon; m.Enabled {
		c, err := mastodon.New(mastodon.Config{BaseURL: m.BaseURL, Token: m.Token, RejectUnknownPending: m.RejectUnknownPending}, hc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if d := cfg.Discourse; d.Enabled {
		c, err := discourse.New(discourse.Config{BaseURL: d.BaseURL, APIKey: d.APIKey, APIUsername: d.APIUsername, GroupMap: d.GroupMap}, hc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if g := cfg.GitLab; g.Enabled {
		c, err := gitlab.New(gitlab.Config{BaseURL: g.BaseURL, Token: g.Token, Provider: g.Provider}, hc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// FromConfig makes a Provisioner for the services cfg enables, enqueueing
// with jobs. log may be nil.
func FromConfig(pool *pgxpool.Pool, cfg config.Downstream, jobs *jobs.Client, log *slog.Logger) (*Provisioner, error) {
	services, err := Services(cfg, nil)
	if err != nil {
		return nil, fmt.Errorf("downstream: %w", err)
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p := &Provisioner{Pool: pool, Services: services, Jobs: jobs, SuspensionText: cfg.SuspensionText, Log: log}
	if cfg.Mastodon.Enabled {
		p.WebhookSecret = []byte(cfg.Mastodon.WebhookSecret)
	}
	return p, nil
}

// Service returns the enabled service called name, or nil.
func (p *Provisioner) Service(name string) downstream.Service {
	for _, s := range p.Services {
		if s.Name() == name {
			return s
		}
	}
	return nil
}

// mastodon is the Mastodon client, when Mastodon is enabled.
func (p *Provisioner) mastodon() *mastodon.Client {
	m, _ := p.Service("mastodon").(*mastodon.Client)
	return m
}

// Admitted enqueues, in tx, an ensure job for each enabled service.
func (p *Provisioner) Admitted(ctx context.Context, tx pgx.Tx, person *people.Person) error {
	return p.enqueueAll(ctx, tx, Target{PersonID: person.ID, Action: ActionEnsure})
}

// Ceased enqueues, in tx, a suspend job for each enabled service.
func (p *Provisioner) Ceased(ctx context.Context, tx pgx.Tx, person *people.Person) error {
	return p.enqueueAll(ctx, tx, Target{PersonID: person.ID, Action: ActionSuspend})
}

// Reinstated enqueues, in tx, a reinstate job for each enabled service.
func (p *Provisioner) Reinstated(ctx context.Context, tx pgx.Tx, person *people.Person) error {
	return p.enqueueAll(ctx, tx, Target{PersonID: person.ID, Action: ActionReinstate})
}

func (p *Provisioner) enqueueAll(ctx context.Context, tx pgx.Tx, t Target) error {
	for _, s := range p.Services {
		t.Service = s.Name()
		if err := p.markPending(ctx, tx, t); err != nil {
			return err
		}
		if _, err := p.insert(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// markPending shows the secretary that a change is on its way to the
// account, and remembers which, for Retry.
func (p *Provisioner) markPending(ctx context.Context, tx pgx.Tx, t Target) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO downstream_accounts (person_id, service, state, action) VALUES ($1, $2, 'pending', $3)
		ON CONFLICT (person_id, service) DO UPDATE SET state = 'pending', action = $3, last_error = '', updated_at = now()`,
		t.PersonID, t.Service, string(t.Action))
	if err != nil {
		return fmt.Errorf("downstream: marking %s pending: %w", t.Service, err)
	}
	return nil
}

// insert enqueues the job for t. A job for the same person, service and
// action that has not finished yet makes this a no-op (River's unique
// insert), which the result reports.
func (p *Provisioner) insert(ctx context.Context, tx pgx.Tx, t Target) (*rivertype.JobInsertResult, error) {
	res, err := p.Jobs.InsertTx(ctx, tx, t.args(), nil)
	if err != nil {
		return nil, fmt.Errorf("downstream: enqueueing %s %s: %w", t.Action, t.Service, err)
	}
	return res, nil
}
