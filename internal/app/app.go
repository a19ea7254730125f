// Package app assembles a running coopgate from its configuration: database,
// migrations, policies, keys, provider, pages and jobs. Each step is a small
// function taking its dependencies; Serve runs the HTTP servers and the job
// workers until the context ends, then shuts down gracefully.
package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/metrics"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/seal"
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
	Config    *config.Config
	Pool      *pgxpool.Pool
	Log       *slog.Logger
	Box       *seal.Box
	Keys      *oidc.Keyring
	Provider  *oidc.Provider
	Sessions  *page.Sessions
	Render    *page.Renderer
	Jobs      *jobs.Client
	Workers   *river.Workers
	Mail      *mail.Renderer
	Metrics   *metrics.Metrics
	Admission *admission.Service
	// Downstream keeps members' accounts on Mastodon, Discourse and GitLab
	// in line with their standing.
	Downstream *provisioning.Provisioner

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
		a.syncPolicies, a.seedAllowedDomains, a.prepareKeys, a.prepareWeb, a.prepareMail, a.prepareJobs,
		a.prepareAdmission,
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

// seedAllowedDomains adds the config's domains once; after that the
// secretary's edits in the admin pages are the truth (a removed domain is
// not added back at the next start).
func (a *App) seedAllowedDomains(ctx context.Context) error {
	for _, d := range a.Config.Admission.AllowedEmailDomains {
		_, err := a.Pool.Exec(ctx, `
			INSERT INTO allowed_domains (domain, reason)
			SELECT $1, 'from the configuration file'
			WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE action = 'allowed_domain.remove' AND subject_id = $1)
			ON CONFLICT (domain) DO NOTHING`, strings.ToLower(d))
		if err != nil {
			return fmt.Errorf("seeding allowed domains: %w", err)
		}
	}
	return nil
}

func (a *App) prepareKeys(ctx context.Context) error {
	key, err := base64.StdEncoding.DecodeString(a.Config.CryptoKey)
	if err != nil {
		return fmt.Errorf("crypto_key: %w", err)
	}
	if a.Box, err = seal.New(key); err != nil {
		return fmt.Errorf("crypto_key: %w", err)
	}
	a.Keys = oidc.NewKeyring(a.Pool, a.Box, a.Config.Keys.PublishLead, a.Config.Keys.RetiredFor, oidc.AlgorithmsInUse(a.Config.Clients))
	return a.Keys.Ensure(ctx)
}

func (a *App) prepareWeb(context.Context) error {
	secure := strings.HasPrefix(a.Config.Issuer, "https://")
	a.Metrics = metrics.New(a.Pool)
	store := session.NewStore(a.Pool, a.Config.CookieSecret, a.Config.Tokens.SessionLifetime, secure)
	a.Sessions = &page.Sessions{Store: store, Name: page.CookieName(secure)}
	storage := oidc.NewStorage(a.Config, oidc.Deps{
		Pool: a.Pool, Keys: a.Keys, Log: a.Log, EndSession: a.Sessions.EndFromContext, Metrics: a.Metrics,
		Terms: func(ctx context.Context, personID string) (map[string]string, error) {
			return policy.AcceptedVersions(ctx, a.Pool, personID)
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
	a.Mail, err = mail.NewRenderer(web.Mail, mail.CoopInfo{Name: a.Config.Coop.Name, URL: a.Config.Issuer, Contact: a.Config.Coop.SecretaryEmail})
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

func (a *App) prepareJobs(context.Context) error {
	a.Workers = river.NewWorkers()
	if err := mail.AddWorkers(a.Workers, a.MailSender, a.Box, a.Log); err != nil {
		return err
	}
	if err := a.addDownstreamWorkers(); err != nil {
		return err
	}
	var err error
	a.Jobs, err = jobs.NewClient(a.Pool, a.Workers, a.Log)
	return err
}

func (a *App) prepareAdmission(context.Context) error {
	a.Admission = &admission.Service{Pool: a.Pool, Jobs: a.Jobs, Box: a.Box, Mail: a.Mail, BaseURL: a.Config.Issuer,
		Secretary: a.Config.Coop.SecretaryEmail, Metrics: a.Metrics, Now: time.Now}
	return a.attachDownstream()
}

// shutdownGrace is how long in-flight requests and jobs get to finish.
const shutdownGrace = 20 * time.Second
