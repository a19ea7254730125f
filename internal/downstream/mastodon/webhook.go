package mastodon

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// WebhookSignatureHeader is where Mastodon signs a webhook delivery.
const WebhookSignatureHeader = "X-Hub-Signature"

// EventAccountCreated is the webhook event sent when an account is created,
// including by a member's first OIDC login.
const EventAccountCreated = "account.created"

// ErrOtherEvent says a webhook delivery is valid but not the event asked for.
var ErrOtherEvent = errors.New("mastodon: webhook is not the expected event")

// VerifyWebhook checks Mastodon's signature of a webhook body: header is the
// X-Hub-Signature value, "sha256=" and the hex HMAC-SHA256 of the raw body
// under the webhook's secret. Without a secret nothing verifies, so a
// misconfiguration fails closed.
func VerifyWebhook(secret, body []byte, header string) bool {
	if len(secret) == 0 {
		return false
	}
	sig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// AccountCreated is an account.created webhook delivery.
type AccountCreated struct {
	CreatedAt time.Time
	Account   AdminAccount
}

// ParseAccountCreated reads an account.created payload:
// {"event":"account.created","created_at":...,"object":{Admin::Account}}.
// Verify the signature first.
func ParseAccountCreated(body []byte) (AccountCreated, error) {
	var payload struct {
		Event     string       `json:"event"`
		CreatedAt time.Time    `json:"created_at"`
		Object    AdminAccount `json:"object"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		return AccountCreated{}, fmt.Errorf("mastodon: webhook payload: %w", err)
	}
	if payload.Event != EventAccountCreated {
		return AccountCreated{}, fmt.Errorf("%w: got %q", ErrOtherEvent, payload.Event)
	}
	if payload.Object.ID == "" {
		return AccountCreated{}, errors.New("mastodon: webhook payload has no account id")
	}
	return AccountCreated{CreatedAt: payload.CreatedAt, Account: payload.Object}, nil
}
