package config

import "time"

// Downstream configures the services whose accounts coopgate manages. A
// service that is not enabled is skipped.
type Downstream struct {
	Mastodon  Mastodon  `yaml:"mastodon"`
	Discourse Discourse `yaml:"discourse"`
	GitLab    GitLab    `yaml:"gitlab"`
	// PollInterval is how often Mastodon is polled for accounts a missed
	// webhook would have announced, and how often accounts held by a
	// service's setting are tried again. Default 10m, at least 1m.
	PollInterval time.Duration `yaml:"poll_interval" validate:"min=1m"`
	// SuspensionText is what every service is told when coopgate suspends a
	// former member's account. Discourse shows it publicly unless
	// hide_suspension_reasons is on, so it is a fixed, neutral text: the
	// secretary's own reason stays in coopgate's audit log.
	SuspensionText string `yaml:"suspension_text" validate:"max=300"`
}

// Mastodon is the co-op's Mastodon instance.
type Mastodon struct {
	Enabled       bool   `yaml:"enabled"`
	BaseURL       string `yaml:"base_url" validate:"required_if=Enabled true,omitempty,url"`
	Token         string `yaml:"token" validate:"required_if=Enabled true"`
	WebhookSecret string `yaml:"webhook_secret"`
	// RejectUnknownPending rejects pending local sign-ups whose email belongs
	// to nobody admitted. Off by default.
	RejectUnknownPending bool `yaml:"reject_unknown_pending"`
}

// Discourse is the co-op's forum.
type Discourse struct {
	Enabled     bool              `yaml:"enabled"`
	BaseURL     string            `yaml:"base_url" validate:"required_if=Enabled true,omitempty,url"`
	APIKey      string            `yaml:"api_key" validate:"required_if=Enabled true"`
	APIUsername string            `yaml:"api_username" validate:"required_if=Enabled true"`
	GroupMap    map[string]string `yaml:"group_map"`
}

// GitLab is the co-op's git.coop.
type GitLab struct {
	Enabled  bool   `yaml:"enabled"`
	BaseURL  string `yaml:"base_url" validate:"required_if=Enabled true,omitempty,url"`
	Token    string `yaml:"token" validate:"required_if=Enabled true"`
	Provider string `yaml:"provider"`
}
