package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigNamesABadPollInterval: check-config refuses what serve
// would refuse, naming the key, instead of answering "ok".
func TestCheckConfigNamesABadPollInterval(t *testing.T) {
	base := `issuer: https://id.example.coop
database_url: postgres://localhost/coopgate
crypto_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cookie_secret: test-cookie-secret-0123456789abcdef
coop: {name: Test Co-op}
smtp: {from: id@example.coop, console: true}
`
	tests := []struct {
		name, extra string
		code        int
		want        string
	}{
		{"good", "downstream: {poll_interval: 5m}\n", 0, "ok"},
		{"banana", "downstream: {poll_interval: banana}\n", 1, "downstream.poll_interval: must be a duration"},
		{"too often", "downstream: {poll_interval: 10s}\n", 1, "downstream.poll_interval: must be at least 1m"},
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
