package app

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
)

// NewFederation builds the federation decisions for cfg: applied to the
// configured Mastodon when it is enabled, enqueueing with inserter. out may
// be nil where nothing is mailed (`coopgate federation sync`).
func NewFederation(pool *pgxpool.Pool, cfg *config.Config, inserter *jobs.Client, out *mail.Outbox, log *slog.Logger) (*federation.Service, error) {
	d := federation.Deps{Pool: pool, Jobs: inserter, Mail: out, BaseURL: cfg.Issuer, Log: log}
	if m := cfg.Downstream.Mastodon; m.Enabled {
		c, err := mastodon.New(mastodon.Config{BaseURL: m.BaseURL, Token: m.Token}, nil)
		if err != nil {
			return nil, err
		}
		d.Mastodon = c
	}
	return federation.New(d), nil
}
