package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		resp, body := apptest.Get(t, http.DefaultClient, g.URL+path)
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(body) != want {
			t.Errorf("%s = %d %q", path, resp.StatusCode, body)
		}
	}
	// A schema behind the code (a migration rolled back under a running
	// replica) makes it unready once the cached answer expires; here the
	// first check after start is the one that counts, so use a fresh gateway.
	g2 := g.Replica(t)
	if _, err := g2.App.Pool.Exec(context.Background(), `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	resp, body := apptest.Get(t, http.DefaultClient, g2.URL+"/readyz")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "coopgate migrate") {
		t.Errorf("readyz with a schema behind = %d %q; want 503 naming coopgate migrate", resp.StatusCode, body)
	}
}
