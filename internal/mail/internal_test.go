package mail

import (
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{time.Minute, "1 minute"},
		{90 * time.Second, "2 minutes"},
		{30 * time.Minute, "30 minutes"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "90 minutes"},
		{24 * time.Hour, "24 hours"},
		{23*time.Hour + 59*time.Minute + 59*time.Second, "23 hours"},
		{2*time.Hour + time.Second, "2 hours"},
		{48 * time.Hour, "2 days"},
		{7 * 24 * time.Hour, "7 days"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ text, addr, want string }{
		{"550 <Ada@Example.org>: no such user", "ada@example.org", "550 <…@example.org>: no such user"},
		{"rejected ada@example.org twice: ada@example.org", "Ada Lovelace <ada@example.org>", "rejected …@example.org twice: …@example.org"},
		{"dial tcp: connection refused", "ada@example.org", "dial tcp: connection refused"},
		{"a.b@example.org vs aXb@example.org", "a.b@example.org", "…@example.org vs aXb@example.org"},
	}
	for _, tt := range tests {
		if got := redact(tt.text, tt.addr); got != tt.want {
			t.Errorf("redact(%q, %q) = %q, want %q", tt.text, tt.addr, got, tt.want)
		}
	}
}

func TestRecipientLogFields(t *testing.T) {
	if d := domainOf("Ada <Ada@Example.ORG>"); d != "example.org" {
		t.Errorf("domainOf = %q", d)
	}
	if recipientHash("Ada@Example.org") != recipientHash("ada@example.org") {
		t.Error("the hash of one address depends on its case")
	}
	if recipientHash("ada@example.org") == recipientHash("bob@example.org") {
		t.Error("two addresses share a hash")
	}
}
