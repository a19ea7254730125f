package provisioning_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// TestLifecycleFromTheSecretarysActions follows a member from approval to
// cessation to reinstatement, with the real River client working the jobs
// that admission enqueues, and checks each service after each step.
func TestLifecycleFromTheSecretarysActions(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	ann, appID := h.applicant(t, "ann")
	signUp := h.mastodon.AddPendingSignUp("ann", ann.Email) // Mastodon's own sign-up form, waiting

	h.approve(t, appID)
	h.waitAll(t, ann.ID, "active")
	if a, _ := h.mastodon.Account(signUp.ID); !a.Approved {
		t.Errorf("mastodon sign-up not approved: %+v", a)
	}
	du, ok := h.discourse.UserBySubject(ann.ID)
	if !ok || !du.Active || !du.Approved || du.Username != "ann" {
		t.Fatalf("discourse user %+v (found %v); want active, approved, linked to ann's sub", du, ok)
	}
	if got := h.discourse.GroupMembers("members"); len(got) != 1 || got[0] != "ann" {
		t.Errorf("discourse group members = %v; want [ann]", got)
	}
	gu, ok := h.gitlab.UserBySubject(ann.ID)
	if !ok || gu.State != "active" || gu.Email != ann.Email {
		t.Fatalf("gitlab user %+v (found %v); want active, linked to ann's sub", gu, ok)
	}
	h.checkRemoteIDs(t, ann.ID, signUp.ID, strconv.Itoa(du.ID), strconv.Itoa(gu.ID))

	if err := h.admission.Cease(ctx, ann.ID, "Left the co-op", secretary); err != nil {
		t.Fatal(err)
	}
	h.waitAll(t, ann.ID, "suspended")
	// The services get the configured neutral text, never the secretary's
	// words (Discourse shows them publicly unless hide_suspension_reasons
	// is on), and Mastodon is told not to mail the member.
	if a, _ := h.mastodon.Account(signUp.ID); !a.Suspended || a.SuspendReason != suspensionText || a.SuspendMailed {
		t.Errorf("mastodon account %+v; want suspended with the neutral text, not mailed", a)
	}
	if u, _ := h.discourse.User(du.ID); !u.Suspended() || u.SuspendReason != suspensionText || h.discourse.LogOuts(du.ID) == 0 {
		t.Errorf("discourse user %+v, %d log-outs; want suspended with the neutral text and logged out", u, h.discourse.LogOuts(du.ID))
	}
	if n := h.count(t, `SELECT count(*) FROM river_job WHERE args::text LIKE '%Left the co-op%'`); n != 0 {
		t.Errorf("%d jobs carry the secretary's reason", n)
	}
	if u, _ := h.gitlab.User(gu.ID); u.State != "blocked" {
		t.Errorf("gitlab user state %q; want blocked", u.State)
	}

	if err := h.admission.Reinstate(ctx, ann.ID, secretary); err != nil {
		t.Fatal(err)
	}
	h.waitAll(t, ann.ID, "active")
	h.checkOneAccountEach(t, signUp.ID, du.ID, gu.ID)
}

// waitAll waits until ann's three accounts are recorded in state, and the
// fakes agree.
func (h *harness) waitAll(t *testing.T, personID, state string) {
	t.Helper()
	eventually(t, "every account "+state, func() (bool, string) {
		var got []string
		for _, svc := range []string{"mastodon", "discourse", "gitlab"} {
			a := h.account(t, personID, svc)
			got = append(got, svc+"="+a.State+" "+a.LastError)
			if a.State != state {
				return false, describe(got)
			}
		}
		return h.fakesSay(personID, state), describe(got)
	})
}

// fakesSay checks the services themselves, not only coopgate's record.
func (h *harness) fakesSay(personID, state string) bool {
	d, ok1 := h.discourse.UserBySubject(personID)
	g, ok2 := h.gitlab.UserBySubject(personID)
	if !ok1 || !ok2 {
		return false
	}
	if state == "suspended" {
		return d.Suspended() && g.State == "blocked"
	}
	return !d.Suspended() && g.State == "active"
}

func (h *harness) checkRemoteIDs(t *testing.T, personID string, want ...string) {
	t.Helper()
	for i, svc := range []string{"mastodon", "discourse", "gitlab"} {
		a := h.account(t, personID, svc)
		if a.RemoteID != want[i] || a.LastSynced == nil || a.LastError != "" {
			t.Errorf("%s record %+v; want remote id %s, a sync time and no error", svc, a, want[i])
		}
	}
}

// checkOneAccountEach: after approve, cease and reinstate there is still
// one account per service, suspended exactly once, and lifted.
func (h *harness) checkOneAccountEach(t *testing.T, mastodonID string, discourseID, gitlabID int) {
	t.Helper()
	if n := h.mastodon.Accounts(); n != 1 {
		t.Errorf("%d mastodon accounts; want 1", n)
	}
	if n := h.discourse.Users(); n != 1 {
		t.Errorf("%d discourse users; want 1", n)
	}
	if n := h.gitlab.Users(); n != 1 {
		t.Errorf("%d gitlab users; want 1", n)
	}
	if a, _ := h.mastodon.Account(mastodonID); a.Suspended || h.mastodon.Suspensions(mastodonID) != 1 {
		t.Errorf("mastodon: %+v after %d suspensions; want unsuspended after exactly 1", a, h.mastodon.Suspensions(mastodonID))
	}
	if n := h.discourse.Suspensions(discourseID); n != 1 {
		t.Errorf("discourse: %d suspensions; want 1", n)
	}
	if n := h.gitlab.Blocks(gitlabID); n != 1 {
		t.Errorf("gitlab: %d blocks; want 1", n)
	}
}

// TestDoubleEnqueueAndRerunDoNoDoubleWork: a second enqueue while the first
// job is unfinished is dropped, and running the jobs again after they
// finished changes nothing on the services.
func TestDoubleEnqueueAndRerunDoNoDoubleWork(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, func(s *setup) { s.noWorkers = true })
	bob := h.member(t, "bob")
	h.mastodon.AddOIDCLogin("bob", bob.Email)
	for range 2 {
		err := database.InTx(ctx, h.pool, func(tx pgx.Tx) error { return h.prov.Admitted(ctx, tx, bob) })
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.jobsOf(t, "downstream_ensure")); n != 3 {
		t.Fatalf("%d ensure jobs after enqueueing twice for 3 services; want 3", n)
	}

	w := newHarness(t) // a working harness, to run the same jobs twice over
	bob = w.member(t, "bob")
	masto := w.mastodon.AddOIDCLogin("bob", bob.Email)
	for round := range 2 {
		w.enqueue(t, bob, "admitted")
		w.waitJobs(t, "downstream_ensure", 3*(round+1))
	}
	setStatus(t, w, bob.ID, people.Ceased)
	for round := range 2 {
		w.enqueue(t, bob, "ceased")
		w.waitJobs(t, "downstream_suspend", 3*(round+1))
	}
	d, _ := w.discourse.UserBySubject(bob.ID)
	g, _ := w.gitlab.UserBySubject(bob.ID)
	if w.mastodon.Accounts() != 1 || w.discourse.Users() != 1 || w.gitlab.Users() != 1 {
		t.Errorf("accounts: mastodon %d, discourse %d, gitlab %d; want one each", w.mastodon.Accounts(), w.discourse.Users(), w.gitlab.Users())
	}
	if w.mastodon.Suspensions(masto.ID) != 1 || w.discourse.Suspensions(d.ID) != 1 || w.gitlab.Blocks(g.ID) != 1 {
		t.Errorf("suspensions: mastodon %d, discourse %d, gitlab %d; want one each",
			w.mastodon.Suspensions(masto.ID), w.discourse.Suspensions(d.ID), w.gitlab.Blocks(g.ID))
	}
}

func (h *harness) enqueue(t *testing.T, p *people.Person, change string) {
	t.Helper()
	ctx := context.Background()
	err := database.InTx(ctx, h.pool, func(tx pgx.Tx) error {
		if change == "ceased" {
			return h.prov.Ceased(ctx, tx, p)
		}
		return h.prov.Admitted(ctx, tx, p)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitJobs waits until n jobs of kind have completed.
func (h *harness) waitJobs(t *testing.T, kind string, n int) {
	t.Helper()
	eventually(t, kind+" jobs complete", func() (bool, string) {
		jobs := h.jobsOf(t, kind)
		done := 0
		for _, j := range jobs {
			if j.State == "completed" {
				done++
			}
		}
		return done == n && len(jobs) == n, describe(jobs)
	})
}

func setStatus(t *testing.T, h *harness, personID string, status people.Status) {
	t.Helper()
	if _, err := h.pool.Exec(context.Background(), `UPDATE people SET status = $2 WHERE id = $1`, personID, status); err != nil {
		t.Fatal(err)
	}
}
