package admin_test

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/admin"
)

// csvRows fetches a CSV download and parses it.
func csvRows(t *testing.T, b *http.Client, u string) [][]string {
	t.Helper()
	resp, body := apptest.Get(t, b, u)
	wantStatus(t, u, resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("%s: Content-Type %q", u, ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("%s: Content-Disposition %q", u, cd)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return rows
}

func TestExportsHaveHeadersAndRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	sec, b := secretary(t, g, "sec@example.coop", "sec")
	err := database.InTx(ctx, g.App.Pool, func(tx pgx.Tx) error {
		_, err := register.Upsert(ctx, tx, register.Entry{MembershipNumber: "7", Name: "=Eve", Emails: []string{"eve@example.org"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	reg := csvRows(t, b, g.URL+"/admin/register/export.csv")
	if len(reg) != 2 || reg[0][0] != "membership_number" || reg[0][1] != "name" || reg[1][0] != "7" || reg[1][1] != "'=Eve" {
		t.Errorf("register export = %q", reg)
	}
	acc := csvRows(t, b, g.URL+"/admin/policies/acceptances.csv")
	if len(acc) < 2 || acc[0][0] != "person_id" || acc[0][1] != "email" || acc[1][0] != sec.ID {
		t.Errorf("acceptances export = %q", acc)
	}
	for _, action := range []string{"register.export", "policy.acceptances_export"} {
		if n := count(t, g, `SELECT count(*) FROM audit_events WHERE action = $1 AND actor_id = $2`, action, sec.ID); n != 1 {
			t.Errorf("%d %s events, want 1", n, action)
		}
	}
}

func TestDashboardAndPolicies(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	g.CreatePerson(t, "new@example.coop", "newbie", people.Admitted) // has accepted nothing
	applicant(t, g, "ann@elsewhere.org", "ann")
	g.CreatePerson(t, "gone@example.coop", "gone", people.Ceased)

	_, body := apptest.Get(t, b, g.URL+"/admin")
	for _, want := range []string{"waiting for a decision</a></dt><dd>1</dd>", "Admitted members</a></dt><dd>2</dd>",
		"not verified yet</a></dt><dd>0</dd>", "Former members</a></dt><dd>1</dd>"} {
		wantContains(t, "dashboard", body, want)
	}
	_, body = apptest.Get(t, b, g.URL+"/admin/policies")
	wantContains(t, "policies", body, "who accepted it</dt><dd>1</dd>", "who have not</dt><dd>1</dd>", "new@example.coop", "ann@elsewhere.org")
	if strings.Contains(body, "gone@example.coop") {
		t.Error("a former member is listed as not having accepted")
	}
}

// The service accounts section shows the person's accounts as provisioning
// recorded them, says when no service is enabled, and survives a failure to
// read them.
func TestServiceAccountsSection(t *testing.T) {
	g := apptest.Start(t)
	ctx := context.Background()
	sec := g.CreatePerson(t, "sec@example.coop", "sec", people.Admitted, people.RoleSecretary)
	// Never called: the page only reads what provisioning recorded.
	masto, err := mastodon.New(mastodon.Config{BaseURL: "http://127.0.0.1:9", Token: "unused"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &admin.Handler{Pool: g.App.Pool, Render: g.App.Render, Admission: g.App.Admission,
		Downstream: &provisioning.Provisioner{Pool: g.App.Pool, Services: []downstream.Service{masto}},
		Membership: g.App.Membership, Factors: g.App.Factors, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	get := func() (int, string) {
		mux := http.NewServeMux()
		h.Mount(mux)
		req := httptest.NewRequest(http.MethodGet, "/admin/people/"+sec.ID, nil)
		req = req.WithContext(session.NewContext(req.Context(), session.Login{Person: sec.Person}))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}

	if _, err := g.App.Pool.Exec(ctx, `INSERT INTO downstream_accounts (person_id, service, remote_id, state, last_error, last_synced_at)
		VALUES ($1, 'mastodon', '109', 'active', '', '2025-03-01 12:00:00Z'), ($1, 'gitlab', '', 'failed', 'GitLab answered 503', NULL)`,
		sec.ID); err != nil {
		t.Fatal(err)
	}
	code, body := get()
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	wantContains(t, "accounts", body, "mastodon", "109", "1 Mar 2025 12:00 UTC", "gitlab", "GitLab answered 503")

	h.Downstream = g.App.Downstream // the test gateway enables no service
	if code, body = get(); code != http.StatusOK || !strings.Contains(body, "No services configured") {
		t.Errorf("no service enabled: status %d, page without \"No services configured\"", code)
	}

	h.Downstream = &provisioning.Provisioner{Pool: g.App.Pool, Services: []downstream.Service{masto}}
	if _, err := g.App.Pool.Exec(ctx, `ALTER TABLE downstream_accounts RENAME TO downstream_accounts_away`); err != nil {
		t.Fatal(err)
	}
	code, body = get()
	if code != http.StatusOK {
		t.Fatalf("status %d with a failing account list", code)
	}
	wantContains(t, "failing accounts", body, "could not be loaded", "sec@example.coop")
}
