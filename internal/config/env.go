package config

import (
	"strings"
	"unicode"
)

// applyEnv lets secrets stay out of the file: COOPGATE_CRYPTO_KEY,
// COOPGATE_COOKIE_SECRET, COOPGATE_DATABASE_URL, COOPGATE_SMTP_PASSWORD,
// COOPGATE_CLIENT_<ID>_SECRET, COOPGATE_MASTODON_TOKEN,
// COOPGATE_MASTODON_WEBHOOK_SECRET, COOPGATE_DISCOURSE_API_KEY and
// COOPGATE_GITLAB_TOKEN. A variable that is set wins over the file.
func (c *Config) applyEnv(getenv func(string) string) {
	override(&c.CryptoKey, getenv("COOPGATE_CRYPTO_KEY"))
	override(&c.CookieSecret, getenv("COOPGATE_COOKIE_SECRET"))
	override(&c.DatabaseURL, getenv("COOPGATE_DATABASE_URL"))
	override(&c.SMTP.Password, getenv("COOPGATE_SMTP_PASSWORD"))
	for i := range c.Clients {
		override(&c.Clients[i].Secret, getenv(ClientSecretEnv(c.Clients[i].ID)))
	}
	override(&c.Downstream.Mastodon.Token, getenv("COOPGATE_MASTODON_TOKEN"))
	override(&c.Downstream.Mastodon.WebhookSecret, getenv("COOPGATE_MASTODON_WEBHOOK_SECRET"))
	override(&c.Downstream.Discourse.APIKey, getenv("COOPGATE_DISCOURSE_API_KEY"))
	override(&c.Downstream.GitLab.Token, getenv("COOPGATE_GITLAB_TOKEN"))
}

// ClientSecretEnv is the variable that holds a client's secret:
// client id "git-coop" → COOPGATE_CLIENT_GIT_COOP_SECRET.
func ClientSecretEnv(id string) string {
	name := strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToUpper(r)
		}
		return '_'
	}, id)
	return "COOPGATE_CLIENT_" + name + "_SECRET"
}

func override(field *string, value string) {
	if value != "" {
		*field = value
	}
}
