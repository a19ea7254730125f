package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigNamesABadKey: check-config refuses what serve would
// refuse, naming the key, instead of answering "ok".
func TestCheckConfigNamesABadKey(t *testing.T) {
	base := `issuer: https://id.example.coop
database_url: postgres://localhost/coopgate
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op}
smtp: {from: id@example.coop, console: true}
`
	const client = `clients:
  - id: forum
    name: Forum
    secret: forum-secret-0123456789
    auth_method: client_secret_basic
    redirect_uris: [https://forum.example.coop/auth/oidc/callback]
`
	tests := []struct {
		name, extra string
		code        int
		want        string
	}{
		{"good", "downstream: {poll_interval: 5m}\n", 0, "ok"},
		{"banana", "downstream: {poll_interval: banana}\n", 1, "downstream.poll_interval: must be a duration"},
		{"too often", "downstream: {poll_interval: 10s}\n", 1, "downstream.poll_interval: must be at least 1m"},
		{"ID token algorithm", client + "    id_token_signed_response_alg: PS256\n", 1,
			"clients[0].id_token_signed_response_alg: must be one of: RS256 ES256 EdDSA"},
		{"ES256 client", client + "    id_token_signed_response_alg: ES256\n", 0, "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "coopgate.yaml")
			if err := os.WriteFile(path, []byte(base+tt.extra), 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			code := Run(context.Background(), []string{"check-config", "--config", path}, nil, &out, &out)
			if code != tt.code || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d, said %q; want exit %d and %q", code, out.String(), tt.code, tt.want)
			}
		})
	}
}
