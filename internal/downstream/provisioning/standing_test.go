package provisioning_test

import (
	"context"
	"slices"
	"testing"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/people"
)

// TestAJobThatNoLongerFitsDoesNothing: an ensure that runs after the person
// ceased creates nothing (the cessation's own suspend job has the reason),
// and a suspend that runs after a reinstatement suspends nothing.
func TestAJobThatNoLongerFitsDoesNothing(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("discourse"), func(s *setup) { s.noWorkers = true })
	ann := h.member(t, "ann")
	svc := h.prov.Service("discourse")

	setStatus(t, h, ann.ID, people.Ceased)
	out, err := h.prov.Sync(ctx, svc, provisioning.Target{PersonID: ann.ID, Service: "discourse", Action: provisioning.ActionEnsure})
	if err != nil || out.Skipped == "" || len(out.Done) != 0 {
		t.Fatalf("ensure for a former member: %+v, %v; want skipped", out, err)
	}
	if h.discourse.Users() != 0 {
		t.Errorf("an account was created for a former member")
	}

	setStatus(t, h, ann.ID, people.Admitted)
	if _, err := h.prov.Sync(ctx, svc, provisioning.Target{PersonID: ann.ID, Service: "discourse", Action: provisioning.ActionEnsure}); err != nil {
		t.Fatal(err)
	}
	out, err = h.prov.Sync(ctx, svc, provisioning.Target{PersonID: ann.ID, Service: "discourse", Action: provisioning.ActionSuspend})
	u, _ := h.discourse.UserBySubject(ann.ID)
	if err != nil || out.Skipped == "" || u.Suspended() {
		t.Errorf("stale suspend for a member: %+v, %v, user %+v; want skipped and the user untouched", out, err, u)
	}
}

// ceasingMidCall is a service whose Ensure lands just as the secretary
// ends the membership: the cessation commits while the call is in flight.
type ceasingMidCall struct {
	downstream.Service
	h        *harness
	t        *testing.T
	personID string
}

func (s ceasingMidCall) Ensure(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	a, err := s.Service.Ensure(ctx, p)
	setStatus(s.t, s.h, s.personID, people.Ceased)
	return a, err
}

// TestAStatusChangeDuringTheCallIsCaughtUp: the suspend job of that
// cessation may already have run and found no account, so the ensure that
// created one must suspend it itself.
func TestAStatusChangeDuringTheCallIsCaughtUp(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("discourse"), func(s *setup) { s.noWorkers = true })
	ann := h.member(t, "ann")
	svc := ceasingMidCall{Service: h.prov.Service("discourse"), h: h, t: t, personID: ann.ID}

	out, err := h.prov.Sync(ctx, svc, provisioning.Target{PersonID: ann.ID, Service: "discourse", Action: provisioning.ActionEnsure})
	if err != nil {
		t.Fatal(err)
	}
	want := []provisioning.Action{provisioning.ActionEnsure, provisioning.ActionSuspend}
	if !slices.Equal(out.Done, want) || out.Account.State != downstream.StateSuspended {
		t.Errorf("did %v, ending %+v; want %v ending suspended", out.Done, out.Account, want)
	}
	u, ok := h.discourse.UserBySubject(ann.ID)
	if !ok || !u.Suspended() || u.SuspendReason != suspensionText {
		t.Errorf("discourse user %+v; want created, then suspended", u)
	}
}
