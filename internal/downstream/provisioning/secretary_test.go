package provisioning_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/discourse/discoursetest"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/people"
)

// TestFailedListAndRetry: a refusal shows in the secretary's list with the
// service's own words; once the cause is fixed, Retry syncs the account and
// the audit log says who asked.
func TestFailedListAndRetry(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("discourse"))
	ann, appID := h.applicant(t, "ann")
	h.discourse.FailPath("POST", "/users.json", 1, 400)

	h.approve(t, appID)
	eventually(t, "account failed", func() (bool, string) {
		a := h.account(t, ann.ID, "discourse")
		return a.State == "failed", describe(a)
	})
	list, err := provisioning.Failed(ctx, h.pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].PersonID != ann.ID || list[0].Username != "ann" || list[0].Service != "discourse" ||
		!strings.Contains(list[0].LastError, "HTTP 400: Bad Request") {
		t.Fatalf("failed list %+v; want ann's discourse account with Discourse's answer", list)
	}

	asker := audit.Actor{Label: "secretary@example.coop"}
	if err := h.prov.Retry(ctx, ann.ID, "discourse", asker); err != nil {
		t.Fatal(err)
	}
	eventually(t, "account active after the retry", func() (bool, string) {
		a := h.account(t, ann.ID, "discourse")
		return a.State == "active" && a.LastError == "", describe(a)
	})
	if list, _ := provisioning.Failed(ctx, h.pool); len(list) != 0 {
		t.Errorf("failed list after the fix: %+v", list)
	}
	entries, err := audit.List(ctx, h.pool, audit.Filter{Action: "downstream.retry", SubjectID: ann.ID})
	if err != nil || len(entries) != 1 || entries[0].ActorLabel != asker.Label || !strings.Contains(entries[0].After, `"discourse"`) {
		t.Errorf("audit %+v, %v; want one downstream.retry by the secretary", entries, err)
	}
}

// TestRetryRepeatsWhatFailed: a failed suspension is retried as a
// suspension, not as an ensure.
func TestRetryRepeatsWhatFailed(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("gitlab"))
	ann, appID := h.applicant(t, "ann")
	h.approve(t, appID)
	eventually(t, "active", func() (bool, string) { a := h.account(t, ann.ID, "gitlab"); return a.State == "active", describe(a) })
	gu, _ := h.gitlab.UserBySubject(ann.ID)

	h.gitlab.FailPath("POST", "/api/v4/users/"+strconv.Itoa(gu.ID)+"/block", 1, 403)
	if err := h.admission.Cease(ctx, ann.ID, "Moved away", secretary); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suspension failed", func() (bool, string) {
		a := h.account(t, ann.ID, "gitlab")
		return a.State == "failed" && a.Action == "suspend", describe(a)
	})
	if err := h.prov.Retry(ctx, ann.ID, "gitlab", secretary); err != nil {
		t.Fatal(err)
	}
	eventually(t, "suspended after the retry", func() (bool, string) {
		a := h.account(t, ann.ID, "gitlab")
		u, _ := h.gitlab.User(gu.ID)
		return a.State == "suspended" && u.State == "blocked", describe(a)
	})
}

func TestRetryRefusals(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("gitlab"), func(s *setup) { s.noWorkers = true })
	applicant, _ := h.applicant(t, "ann")
	for _, tt := range []struct {
		person, service string
		want            error
	}{
		{applicant.ID, "mastodon", provisioning.ErrNotEnabled},
		{applicant.ID, "gitlab", provisioning.ErrNothingToRetry},
		{"00000000-0000-0000-0000-000000000000", "gitlab", provisioning.ErrPersonNotFound},
	} {
		if err := h.prov.Retry(ctx, tt.person, tt.service, secretary); !errors.Is(err, tt.want) {
			t.Errorf("retry %s on %s: %v; want %v", tt.person, tt.service, err, tt.want)
		}
	}
}

// TestReconcileDryRunChangesNothing, then the real run links and creates.
func TestReconcileDryRunChangesNothing(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, func(s *setup) { s.noWorkers = true })
	ann := h.member(t, "ann")
	bob := h.member(t, "bob")
	setStatus(t, h, bob.ID, people.Ceased)
	h.mastodon.AddPendingSignUp("ann", ann.Email)
	h.discourse.AddUser(discoursetest.User{Username: "ann", Email: ann.Email, Active: true, Approved: true}) // from before coopgate
	h.gitlab.AddPendingOIDCUser("bob", bob.Email, bob.ID)

	var plans []string
	err := h.prov.Reconcile(ctx, h.prov.Services, true, func(r provisioning.Report) {
		if r.Err != nil {
			t.Errorf("%s %s: %v", r.Username, r.Service, r.Err)
		}
		plans = append(plans, r.Username+" "+r.Service+" "+string(r.Action)+": "+r.Plan)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ann mastodon ensure: pending (id ", "would approve it",
		"ann discourse ensure: active (id ", "ann gitlab ensure: missing: would create it",
		"bob mastodon suspend: missing: nothing to suspend", "bob discourse suspend: missing: nothing to suspend",
		"bob gitlab suspend: pending (id ", "would reject the request waiting for approval",
	}
	all := strings.Join(plans, "\n")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("dry run said:\n%s\nwant it to say %q", all, w)
		}
	}
	for _, svc := range []string{"mastodon", "discourse", "gitlab"} {
		for _, c := range h.callsTo(svc) {
			if !strings.HasPrefix(c, "GET ") {
				t.Errorf("dry run called %s %s", svc, c)
			}
		}
	}
	if n := h.count(t, `SELECT count(*) FROM downstream_accounts`); n != 0 {
		t.Errorf("dry run recorded %d accounts", n)
	}

	if err := h.prov.Reconcile(ctx, h.prov.Services, false, func(provisioning.Report) {}); err != nil {
		t.Fatal(err)
	}
	if gu, _ := h.gitlab.UserBySubject(ann.ID); gu.State != "active" {
		t.Errorf("ann's gitlab user %+v; want created", gu)
	}
	if du, ok := h.discourse.UserBySubject(ann.ID); !ok || h.discourse.Users() != 1 {
		t.Errorf("ann's discourse user %+v (linked: %v); want the existing one linked", du, ok)
	}
	if gu, ok := h.gitlab.UserBySubject(bob.ID); ok {
		t.Errorf("bob's gitlab user %+v; want the request waiting for approval rejected", gu)
	}
	if a := h.account(t, bob.ID, "gitlab"); a.State != "missing" {
		t.Errorf("bob's gitlab record %+v", a)
	}
}
