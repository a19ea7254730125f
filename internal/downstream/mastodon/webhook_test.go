package mastodon_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
)

func TestVerifyWebhook(t *testing.T) {
	secret := []byte("webhook-secret")
	fake := mastodontest.NewServer(t, token)
	a := fake.AddOIDCLogin("ann", "ann@example.coop")
	body, sig := fake.SignedWebhook(secret, mastodon.EventAccountCreated, a.ID)
	_, otherSig := fake.SignedWebhook([]byte("another secret"), mastodon.EventAccountCreated, a.ID)

	tests := []struct {
		name   string
		secret []byte
		body   []byte
		header string
		want   bool
	}{
		{"good", secret, body, sig, true},
		{"good, surrounding space", secret, body, " " + sig + " ", true},
		{"missing header", secret, body, "", false},
		{"signed with another secret", secret, body, otherSig, false},
		{"body changed", secret, append([]byte(nil), append(body, ' ')...), sig, false},
		{"no sha256= prefix", secret, body, strings.TrimPrefix(sig, "sha256="), false},
		{"sha1 instead", secret, body, "sha1=" + strings.TrimPrefix(sig, "sha256="), false},
		{"not hex", secret, body, "sha256=zz", false},
		{"truncated", secret, body, sig[:len(sig)-2], false},
		{"no secret configured", nil, body, sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mastodon.VerifyWebhook(tt.secret, tt.body, tt.header); got != tt.want {
				t.Errorf("VerifyWebhook = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseAccountCreated(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	a := fake.AddPendingSignUp("bob", "bob@example.coop")

	body, _ := fake.SignedWebhook([]byte("s"), "account.created", a.ID)
	ev, err := mastodon.ParseAccountCreated(body)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Account.ID != a.ID || ev.Account.Username != "bob" || ev.Account.Email != "bob@example.coop" || ev.CreatedAt.IsZero() {
		t.Errorf("parsed %+v", ev)
	}
	if ev.Account.Account().State != downstream.StatePending {
		t.Errorf("state = %s, want pending", ev.Account.Account().State)
	}

	other, _ := fake.SignedWebhook([]byte("s"), "account.approved", a.ID)
	if _, err := mastodon.ParseAccountCreated(other); !errors.Is(err, mastodon.ErrOtherEvent) {
		t.Errorf("account.approved: err = %v, want ErrOtherEvent", err)
	}
	for _, bad := range []string{`not json`, `{"event":"account.created","object":{}}`} {
		if _, err := mastodon.ParseAccountCreated([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
