package provisioning_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/discourse/discoursetest"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

// TestReinstatementLiftsOnlyCoopgatesSuspensions: a member whom Mastodon's
// and Discourse's moderators had suspended on their own stays suspended
// there after coopgate ends and then reinstates the membership, and the
// secretary sees why; the suspension coopgate made on GitLab is lifted.
func TestReinstatementLiftsOnlyCoopgatesSuspensions(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	ann, appID := h.applicant(t, "ann")
	forever := time.Now().AddDate(50, 0, 0)
	masto := h.mastodon.AddAccount(mastodontest.Account{Username: "ann", Email: ann.Email, Confirmed: true, Approved: true,
		Suspended: true, SuspendReason: "spam, by a moderator"})
	forum := h.discourse.AddUser(discoursetest.User{Username: "ann", Email: ann.Email, Active: true, Approved: true,
		SuspendedTill: &forever, SuspendReason: "by a moderator", ExternalIDs: map[string]string{"oidc": ann.ID}})

	h.approve(t, appID)
	h.waitFor(t, ann.ID, map[string]string{"mastodon": "suspended", "discourse": "suspended", "gitlab": "active"})
	if err := h.admission.Cease(ctx, ann.ID, "Left", secretary); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, ann.ID, map[string]string{"mastodon": "suspended", "discourse": "suspended", "gitlab": "suspended"})
	if err := h.admission.Reinstate(ctx, ann.ID, secretary); err != nil {
		t.Fatal(err)
	}
	h.waitFor(t, ann.ID, map[string]string{"mastodon": "suspended", "discourse": "suspended", "gitlab": "active"})

	if a, _ := h.mastodon.Account(masto.ID); !a.Suspended || a.SuspendReason != "spam, by a moderator" || h.mastodon.Suspensions(masto.ID) != 0 {
		t.Errorf("mastodon %+v, %d suspensions by coopgate; want the moderator's suspension untouched", a, h.mastodon.Suspensions(masto.ID))
	}
	if u, _ := h.discourse.User(forum.ID); !u.Suspended() || u.SuspendReason != "by a moderator" {
		t.Errorf("discourse %+v; want the moderator's suspension untouched", u)
	}
	if gu, _ := h.gitlab.UserBySubject(ann.ID); gu.State != "active" {
		t.Errorf("gitlab %+v; want coopgate's block lifted", gu)
	}
	list, err := provisioning.Failed(ctx, h.pool)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, a := range list {
		if a.PersonID == ann.ID && a.State == "suspended" && strings.Contains(a.LastError, "not by coopgate") {
			shown = append(shown, a.Service)
		}
	}
	slices.Sort(shown)
	if strings.Join(shown, ",") != "discourse,mastodon" {
		t.Errorf("the secretary's list shows %v of ann's suspended accounts; want discourse and mastodon, saying why", shown)
	}
}

// waitFor waits until the person's accounts are in the states given.
func (h *harness) waitFor(t *testing.T, personID string, want map[string]string) {
	t.Helper()
	eventually(t, describe(want), func() (bool, string) {
		got := map[string]string{}
		for svc := range want {
			got[svc] = h.account(t, personID, svc).State
		}
		return describe(got) == describe(want), describe(got)
	})
}
