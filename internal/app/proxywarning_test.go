package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// TestAProxyLeftOutOfTrustedProxiesIsReported: behind a reverse proxy that
// trusted_proxies does not name, every client has the proxy's address (so
// one person's failed logins throttle everyone). The gateway notices many
// clients' X-Forwarded-For from one peer and says so, in the log and in
// /readyz, while staying ready.
func TestAProxyLeftOutOfTrustedProxiesIsReported(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	for i := 0; i < 30; i++ {
		req, _ := http.NewRequest("GET", g.URL+"/login", nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, body := apptest.Get(t, http.DefaultClient, g.URL+"/readyz")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "ready\n") {
		t.Fatalf("/readyz = %d %q; still ready", resp.StatusCode, body)
	}
	if !strings.Contains(body, "warning: ") || !strings.Contains(body, "trusted_proxies") || !strings.Contains(body, "127.0.0.1") {
		t.Errorf("/readyz does not report the untrusted proxy:\n%s", body)
	}
	if n := strings.Count(g.Logs.String(), "untrusted proxy in front of coopgate"); n != 1 {
		t.Errorf("the log warns %d times; want once", n)
	}
}
