package provisioning_test

import (
	"context"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/people"
)

// admitAll approves an applicant for each username and returns them.
func (h *harness) admitAll(t *testing.T, usernames ...string) []*people.Person {
	t.Helper()
	var out []*people.Person
	for _, u := range usernames {
		p, appID := h.applicant(t, u)
		h.approve(t, appID)
		out = append(out, p)
	}
	return out
}

// waitStates waits until each person's account on service is in want[i].
func (h *harness) waitStates(t *testing.T, service string, persons []*people.Person, want ...string) {
	t.Helper()
	eventually(t, service+" accounts "+strings.Join(want, ","), func() (bool, string) {
		var got []string
		ok := true
		for i, p := range persons {
			a := h.account(t, p.ID, service)
			got = append(got, p.Username+"="+a.State)
			ok = ok && a.State == want[i]
		}
		return ok, describe(got)
	})
}

// TestAccountsHeldByDiscoursesIPLimit: on a first rollout the fourth new
// forum account from coopgate's address is refused by Discourse's
// max_new_accounts_per_registration_ip. Those members are not "failed":
// they wait, with the fix spelled out, without retries; once the secretary
// says the setting is changed, they go through.
func TestAccountsHeldByDiscoursesIPLimit(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("discourse"))
	members := h.admitAll(t, "ann", "bob", "cat", "dan", "eve")
	var held []provisioning.Account
	eventually(t, "three active, two held", func() (bool, string) {
		count := map[string]int{}
		held = nil
		for _, p := range members {
			a := h.account(t, p.ID, "discourse")
			count[a.State]++
			if a.State == "needs_setting" {
				held = append(held, a)
			}
		}
		return count["active"] == 3 && count["needs_setting"] == 2, describe(count)
	})
	for _, a := range held {
		if !strings.Contains(a.LastError, "Screened IPs") || !strings.Contains(a.LastError, "max_new_accounts_per_registration_ip to 0") {
			t.Errorf("a held record says %q; want both fixes named", a.LastError)
		}
	}
	for _, j := range h.jobsOf(t, "downstream_ensure") {
		if j.Attempt > 1 {
			t.Errorf("a held account's job was retried: %+v", j)
		}
	}
	list, err := provisioning.Failed(ctx, h.pool)
	if err != nil || len(list) != 2 || list[0].State != "needs_setting" {
		t.Errorf("secretary's list %+v, %v; want the two held accounts", list, err)
	}

	h.discourse.AllowIP("127.0.0.1")
	n, err := h.prov.RetryHeld(ctx, "discourse", secretary)
	if err != nil || n != 2 {
		t.Fatalf("RetryHeld = %d, %v; want 2", n, err)
	}
	h.waitStates(t, "discourse", members, "active", "active", "active", "active", "active")
	entries, err := audit.List(ctx, h.pool, audit.Filter{Action: "downstream.retry_held"})
	if err != nil || len(entries) != 1 || entries[0].ActorLabel != secretary.Label {
		t.Errorf("audit %+v, %v; want the secretary's retry recorded", entries, err)
	}
}

// TestTheRecheckFindsTheSettingChanged: nobody says the setting changed,
// but the periodic recheck tries the account held longest; when that goes
// through, the others held by the same setting go too.
func TestTheRecheckFindsTheSettingChanged(t *testing.T) {
	h := newHarness(t, only("discourse"))
	h.discourse.SetAllowNewRegistrations(false)
	members := h.admitAll(t, "ann", "bob", "cat")
	h.waitStates(t, "discourse", members, "needs_setting", "needs_setting", "needs_setting")
	if a := h.account(t, members[0].ID, "discourse"); !strings.Contains(a.LastError, "allow_new_registrations") {
		t.Errorf("ann's record says %q; want the setting named", a.LastError)
	}

	h.recheck(t) // the setting is unchanged: still held, nothing else tried
	h.waitJobs(t, "downstream_recheck", 1)
	eventually(t, "the probe refused again", func() (bool, string) {
		n := h.discourse.Count("POST", "/users.json")
		return n == 4, describe(n)
	})
	h.waitStates(t, "discourse", members, "needs_setting", "needs_setting", "needs_setting")

	h.discourse.SetAllowNewRegistrations(true)
	h.recheck(t)
	h.waitStates(t, "discourse", members, "active", "active", "active")
	if n := h.discourse.Users(); n != 3 {
		t.Errorf("%d forum users; want 3", n)
	}
}

// recheck runs the periodic recheck now.
func (h *harness) recheck(t *testing.T) {
	t.Helper()
	if _, err := h.jobs.Insert(context.Background(), provisioning.RecheckArgs{}, nil); err != nil {
		t.Fatal(err)
	}
}
