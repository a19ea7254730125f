// Package app assembles a running coopgate from its configuration: database,
// migrations, policies, keys, provider, pages and jobs. Each step is a small
// function taking its dependencies, and builds each part complete: the parts
// that enqueue jobs get an insert-only job client, then the runner is made
// with their workers, so nothing is patched in after. Serve runs the HTTP
// servers and the job workers until the context ends, then shuts down
// gracefully.
package app

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/metrics"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/seal"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
	"github.com/coopgate/coopgate/policies"
	"github.com/coopgate/coopgate/web"
)

// Options change how New starts.
type Options struct {
	SkipMigrate bool // `serve --no-migrate`: the schema is migrated by a separate step
	// MailSender replaces the sender the configuration names (tests).
	MailSender mail.Sender
}

// App is an assembled coopgate.
type App struct {
	Config   *config.Config
	Pool     *pgxpool.Pool
	Log      *slog.Logger
	Box      *seal.Box
	Keys     *oidc.Keyring
	Provider *oidc.Provider
	Sessions *session.Manager
	Render   *page.Renderer
	// Jobs works the jobs (Serve starts it); the enqueuers below insert
	// through an insert-only client of their own, made before them.
	Jobs      *jobs.Client
	Mail      *mail.Renderer
	Metrics   *metrics.Metrics
	Admission *admission.Service
	// Devices signs the device cookies that spare a member's own browser
	// the email-wide login lock.
	Devices *lockout.Devices
	// Downstream keeps members' accounts on Mastodon, Discourse and GitLab
	// in line with their standing.
	Downstream *provisioning.Provisioner
	// Federation records the co-op's federation decisions and carries them
	// out on its Mastodon.
	Federation *federation.Service
	// Membership keeps standing true to the register and follows dues.
	Membership *membership.Service
	// Factors are people's second factors: passkeys, authenticator apps,
	// recovery codes.
	Factors *secondfactor.Service

	// MailSender replaces the configured sender (tests, the dev console).
	MailSender mail.Sender
}

// NewLogger makes the configured logger.
func NewLogger(cfg config.Log) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// New opens the database and prepares everything the server needs.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (*App, error) {
	a := &App{Config: cfg, Log: log, MailSender: opts.MailSender}
	steps := []func(context.Context) error{
		a.openDatabase, func(ctx context.Context) error { return a.migrate(ctx, opts) },
		a.syncPolicies, a.seedAllowedDomains, a.prepareKeys, a.prepareWeb, a.prepareMail, a.prepareServices,
		a.prepareJobs,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// Close releases the database pool.
func (a *App) Close() {
	if a.Pool != nil {
		a.Pool.Close()
	}
}

func (a *App) openDatabase(ctx context.Context) (err error) {
	a.Pool, err = database.Open(ctx, a.Config.DatabaseURL)
	return err
}

func (a *App) migrate(ctx context.Context, opts Options) error {
	if opts.SkipMigrate {
		return nil
	}
	return database.Migrate(ctx, a.Pool, a.Log)
}

// PolicyFS is the configured policy folder, or the policies built in.
func PolicyFS(cfg *config.Config) fs.FS {
	if cfg.Policies.Dir != "" {
		return os.DirFS(cfg.Policies.Dir)
	}
	return policies.FS
}

func (a *App) syncPolicies(ctx context.Context) error {
	loaded, err := policy.Load(PolicyFS(a.Config))
	if err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	if err := policy.Sync(ctx, a.Pool, loaded); err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	return nil
}

// seedAllowedDomains adds the config's domains, but none the secretary removed.
func (a *App) seedAllowedDomains(ctx context.Context) error {
	return admission.SeedDomains(ctx, a.Pool, a.Config.Admission.AllowedEmailDomains)
}

func (a *App) prepareKeys(ctx context.Context) error {
	var err error
	if a.Box, err = seal.New(a.Config.Key()); err != nil {
		return fmt.Errorf("crypto_key: %w", err)
	}
	a.Devices = lockout.NewDevices(a.Config.Key(), a.Config.SecureCookies(), time.Now)
	a.Keys = oidc.NewKeyring(a.Pool, a.Box, a.Config.Keys.PublishLead, a.Config.Keys.RetiredFor, oidc.AlgorithmsInUse(a.Config.Clients))
	return a.Keys.Ensure(ctx)
}

func (a *App) prepareWeb(context.Context) error {
	a.Metrics = metrics.New(a.Pool)
	a.Sessions = session.NewManager(a.Pool, a.Config.CookieSecret, a.Config.Tokens.SessionLifetime, a.Config.SecureCookies())
	storage := oidc.NewStorage(a.Config, oidc.Deps{
		Pool: a.Pool, Keys: a.Keys, Log: a.Log, Metrics: a.Metrics,
		Terms: func(ctx context.Context, personID string) (map[string]string, error) {
			return policy.AcceptedVersions(ctx, a.Pool, personID)
		},
		Membership: func(p *people.Person) any {
			return membership.PolicyFrom(a.Config.Membership).Claim(p, time.Now())
		},
	})
	var err error
	if a.Provider, err = oidc.NewProvider(a.Config, storage, a.Log); err != nil {
		return err
	}
	return nil
}

// prepareMail picks the sender: the console in development, SMTP otherwise.
func (a *App) prepareMail(context.Context) error {
	var err error
	a.Mail, err = NewMailRenderer(a.Config)
	if err != nil {
		return err
	}
	if a.MailSender != nil {
		return nil
	}
	if a.Config.SMTP.Console {
		a.MailSender = mail.NewConsoleSender(os.Stdout, a.Pool)
		return nil
	}
	a.MailSender, err = mail.NewSMTPSender(a.Config.SMTP, nil)
	return err
}

// prepareServices builds the parts that enqueue jobs, each complete, on an
// insert-only job client: the runner that works the jobs needs their
// workers when it is made, so it comes after them (prepareJobs).
func (a *App) prepareServices(context.Context) error {
	s, err := NewServices(a.Config, a.Pool, a.Box, a.Mail, a.Log, a.Metrics)
	if err != nil {
		return err
	}
	a.Downstream, a.Admission, a.Membership, a.Federation = s.Downstream, s.Admission, s.Membership, s.Federation
	a.Factors = s.Factors
	return nil
}

// Services are the parts that change people's standing and enqueue what
// follows from it.
type Services struct {
	Downstream *provisioning.Provisioner
	Admission  *admission.Service
	Membership *membership.Service
	Federation *federation.Service
	Factors    *secondfactor.Service
}

// NewServices builds Services on one insert-only job client and one mail
// outbox: the server does, and so do the commands that change standing
// (`coopgate members import`). metrics may be nil.
func NewServices(cfg *config.Config, pool *pgxpool.Pool, box *seal.Box, render *mail.Renderer, log *slog.Logger, metrics admission.Metrics) (Services, error) {
	inserter, err := jobs.NewInserter(pool, log)
	if err != nil {
		return Services{}, err
	}
	var s Services
	if s.Downstream, err = provisioning.FromConfig(pool, cfg.Downstream, inserter, log); err != nil {
		return Services{}, err
	}
	outbox := mail.NewOutbox(render, box, inserter)
	s.Admission = &admission.Service{Pool: pool, Jobs: inserter, Box: box, Mail: outbox,
		BaseURL: cfg.Issuer, Secretary: cfg.Coop.SecretaryEmail, Downstream: s.Downstream, Metrics: metrics}
	s.Membership = &membership.Service{Pool: pool, Admission: s.Admission, Jobs: inserter, Mail: outbox,
		Policy: membership.PolicyFrom(cfg.Membership), Log: log, Now: time.Now}
	if s.Federation, err = NewFederation(pool, cfg, inserter, outbox, log); err != nil {
		return Services{}, err
	}
	s.Factors, err = secondfactor.New(secondfactor.Config{Pool: pool, Box: box, Mail: outbox, Key: cfg.Key(),
		Issuer: cfg.Issuer, CoopName: cfg.Coop.Name, Roles: cfg.Security.RequireSecondFactor, Now: time.Now})
	return s, err
}

// NewMailRenderer is the mail renderer for cfg's co-op.
func NewMailRenderer(cfg *config.Config) (*mail.Renderer, error) {
	return mail.NewRenderer(web.Mail, mail.CoopInfo{Name: cfg.Coop.Name, URL: cfg.Issuer, Contact: cfg.Coop.SecretaryEmail})
}

// prepareJobs makes the runner: every worker, the periodic jobs, and the
// housekeeping of each table's owner.
func (a *App) prepareJobs(context.Context) error {
	workers := river.NewWorkers()
	for _, add := range []func() error{
		func() error { return mail.AddWorkers(workers, a.MailSender, a.Box, a.Log, nil) },
		func() error { return admission.AddWorkers(workers, a.Admission) },
		func() error { return a.Downstream.AddWorkers(workers) },
		func() error { return a.Federation.AddWorkers(workers) },
		func() error { return membership.AddWorkers(workers, a.Membership) },
	} {
		if err := add(); err != nil {
			return err
		}
	}
	every := a.Config.Downstream.PollInterval
	var err error
	a.Jobs, err = jobs.NewRunner(a.Pool, a.Log, jobs.Work{
		Workers:  workers,
		Periodic: append(append(a.Downstream.PeriodicJobs(every), a.Federation.PeriodicJobs(every)...), a.Membership.PeriodicJobs()...),
		Prune:    []jobs.Prune{oidc.Prune, admission.Prune, session.Prune, ratelimit.Prune, federation.Prune, secondfactor.Prune},
	})
	return err
}

// shutdownGrace is how long in-flight requests and jobs get to finish.
const shutdownGrace = 20 * time.Second
