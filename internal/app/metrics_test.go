package app_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/jobs"
)

func TestMetricsCountLoginsTokensAndRoutes(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	r := apptest.NewRP(t, g)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	apptest.LogIn(t, apptest.Browser(t), g.URL, r.AuthURL(apptest.NewFlow()), ann.Email, "wrong password")
	f := apptest.NewFlow()
	if _, err := r.OAuth.Exchange(context.Background(), r.Code(t, apptest.Browser(t), f, ann.Email, ann.Password), oauth2.VerifierOption(f.Verifier)); err != nil {
		t.Fatal(err)
	}
	// A job waiting in the shared queue shows in every replica's metrics.
	if _, err := g.App.Jobs.Insert(context.Background(), jobs.PruneArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	g.App.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`coopgate_logins_total{outcome="failure"} 1`,
		`coopgate_logins_total{outcome="success"} 1`,
		`coopgate_tokens_issued_total{grant="authorization_code"} 1`,
		`coopgate_http_request_duration_seconds_count{code="2xx",method="GET",route="GET /login"}`,
		`route="/oauth/token"`,
		`coopgate_jobs{kind="prune_expired",state="scheduled"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, ann.Email) || strings.Contains(body, "?code=") {
		t.Errorf("metrics carry personal data or codes:\n%s", body)
	}
}
