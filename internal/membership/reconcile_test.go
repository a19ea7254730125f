package membership

import (
	"context"
	"errors"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
)

var secretaryActor = audit.Actor{Label: "secretary"}

// An import that gives a linked member's entry a ceased_on date that has
// come queues a change and ends nothing; confirming it ends the
// membership through admission, which tells the services.
func TestARegisterEndingWaitsForTheSecretary(t *testing.T) {
	t.Parallel()
	f := newFixture(t, defaultPolicy())
	ctx := context.Background()
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil), row("2", "Bob", "bob@example.org", nil, nil))
	ann, bob := f.member(t, "ann@example.org", "1"), f.member(t, "bob@example.org", "2")

	res := f.importRows(t, false, row("1", "Ann", "ann@example.org", f.clock.date(-1), nil))
	if res.Updated != 1 || res.Queued != 1 || res.Applied != 0 {
		t.Fatalf("import: %+v; want one entry updated and one change queued", res)
	}
	if got := f.pending(t); len(got) != 1 || got[ann.ID] != KindCease {
		t.Fatalf("waiting: %v; want Ann's ending only", got)
	}
	if f.status(t, ann.ID) != people.Admitted || len(f.down.ceased) != 0 {
		t.Fatal("the import ended Ann's membership before anyone confirmed it")
	}
	c := f.pendingChange(t, ann.ID)
	if c.Source != "import of members.csv" || c.CeasedOn == nil || c.Entry.MembershipNumber != "1" {
		t.Errorf("change %+v: want the import, the date and the entry", c)
	}
	if err := f.s.Confirm(ctx, c.ID, c.Reason(), secretaryActor); err != nil {
		t.Fatal(err)
	}
	if f.status(t, ann.ID) != people.Ceased || len(f.down.ceased) != 1 || f.status(t, bob.ID) != people.Admitted {
		t.Fatalf("after confirming: Ann %s, services told %v; want Ann ceased and the services told", f.status(t, ann.ID), f.down.ceased)
	}
	if err := f.s.Confirm(ctx, c.ID, c.Reason(), secretaryActor); !errors.Is(err, ErrChangeDecided) {
		t.Errorf("confirming twice: %v; want ErrChangeDecided", err)
	}
	for _, action := range []string{"membership_change.queue", "membership_change.confirm", "person.cease"} {
		if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = $1 AND subject_id = $2`, action, ann.ID); n != 1 {
			t.Errorf("%d %s events; want 1", n, action)
		}
	}
}

// A ceased_on date in the future ends nothing and asks nothing at import:
// the scan proposes the ending on the day it comes.
func TestAFutureCeasedOnDateIsProposedWhenItComes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, defaultPolicy())
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil))
	ann := f.member(t, "ann@example.org", "1")
	if res := f.importRows(t, false, row("1", "Ann", "ann@example.org", f.clock.date(2), nil)); res.Queued != 0 {
		t.Fatalf("a date two days away queued %d changes", res.Queued)
	}
	f.clock.days(1)
	f.scan(t)
	if got := f.pending(t); len(got) != 0 {
		t.Fatalf("the day before the date: %v waiting", got)
	}
	f.clock.days(1)
	f.scan(t)
	f.scan(t)
	if got := f.pending(t); got[ann.ID] != KindCease {
		t.Fatalf("on the date: %v; want Ann's ending", got)
	}
	if n := f.count(t, `SELECT count(*) FROM membership_changes`); n != 1 {
		t.Errorf("%d changes after two scans; want one", n)
	}
	if c := f.pendingChange(t, ann.ID); c.Source != "the register's ceased_on date" {
		t.Errorf("source %q", c.Source)
	}
}

// A dismissed ending stays dismissed through re-imports and scans, and is
// proposed again only when the register gives another date.
func TestADismissedEndingIsNotProposedAgainForTheSameDate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, defaultPolicy())
	ctx := context.Background()
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil))
	ann := f.member(t, "ann@example.org", "1")
	ceased := row("1", "Ann", "ann@example.org", f.clock.date(-3), nil)
	f.importRows(t, false, ceased)
	if err := f.s.Dismiss(ctx, f.pendingChange(t, ann.ID).ID, secretaryActor); err != nil {
		t.Fatal(err)
	}
	f.importRows(t, false, ceased)
	f.scan(t)
	if got := f.pending(t); len(got) != 0 || f.status(t, ann.ID) != people.Admitted {
		t.Fatalf("after dismissing, a re-import and a scan: %v waiting, Ann %s", got, f.status(t, ann.ID))
	}
	f.importRows(t, false, row("1", "Ann", "ann@example.org", f.clock.date(-2), nil))
	if got := f.pending(t); got[ann.ID] != KindCease {
		t.Errorf("another date: %v; want a new ending proposed", got)
	}
}

// A waiting ending whose entry is active again is withdrawn; a former
// member whose ceased_on date is cleared is proposed for reinstatement.
func TestClearedDatesWithdrawAndReinstate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, defaultPolicy())
	ctx := context.Background()
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil), row("2", "Bob", "bob@example.org", nil, nil))
	ann, bob := f.member(t, "ann@example.org", "1"), f.member(t, "bob@example.org", "2")
	f.importRows(t, false, row("1", "Ann", "ann@example.org", f.clock.date(-1), nil), row("2", "Bob", "bob@example.org", f.clock.date(-1), nil))
	if err := f.s.Confirm(ctx, f.pendingChange(t, bob.ID).ID, "Resigned.", secretaryActor); err != nil {
		t.Fatal(err)
	}

	res := f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil), row("2", "Bob", "bob@example.org", nil, nil))
	if res.Withdrawn != 1 || res.Queued != 1 {
		t.Errorf("import: %+v; want Ann's ending withdrawn and Bob's reinstatement queued", res)
	}
	got := f.pending(t)
	if _, waits := got[ann.ID]; waits || got[bob.ID] != KindReinstate {
		t.Fatalf("waiting: %v; want only Bob's reinstatement", got)
	}
	if err := f.s.Confirm(ctx, f.pendingChange(t, bob.ID).ID, "", secretaryActor); err != nil {
		t.Fatal(err)
	}
	if f.status(t, bob.ID) != people.Admitted || len(f.down.reinstated) != 1 {
		t.Errorf("Bob is %s, services told %v; want reinstated", f.status(t, bob.ID), f.down.reinstated)
	}
	// A former member ended by the secretary, whose register entry was
	// never ceased, is not proposed for reinstatement by a scan or an
	// import: only a ceased_on date the register clears asks for that.
	if err := f.s.Admission.Cease(ctx, ann.ID, "By the secretary.", secretaryActor); err != nil {
		t.Fatal(err)
	}
	f.scan(t)
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil), row("2", "Bob", "bob@example.org", nil, nil))
	if got := f.pending(t); len(got) != 0 {
		t.Errorf("unchanged entries proposed %v", got)
	}
}

// The secretary ended the membership by hand before confirming: the
// change is withdrawn, not carried out twice.
func TestAChangeOvertakenByTheSecretaryIsWithdrawn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, defaultPolicy())
	ctx := context.Background()
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil))
	ann := f.member(t, "ann@example.org", "1")
	f.importRows(t, false, row("1", "Ann", "ann@example.org", f.clock.date(-1), nil))
	c := f.pendingChange(t, ann.ID)
	if err := f.s.Admission.Cease(ctx, ann.ID, "By hand.", secretaryActor); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Confirm(ctx, c.ID, c.Reason(), secretaryActor); !errors.Is(err, ErrChangeDecided) {
		t.Fatalf("confirming an overtaken change: %v; want ErrChangeDecided", err)
	}
	if len(f.pending(t)) != 0 || len(f.down.ceased) != 1 {
		t.Errorf("waiting %v, services told %d times; want the change withdrawn and one cessation", f.pending(t), len(f.down.ceased))
	}
}

// A whole-register upload lists the linked members it leaves out, never
// ends them (not even when endings apply automatically), and a later
// file that has them again withdraws the listing.
func TestMembersLeftOutOfAWholeUploadAreListedOnly(t *testing.T) {
	t.Parallel()
	policy := defaultPolicy()
	policy.ApplyAutomatically = true
	f := newFixture(t, policy)
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil), row("2", "Bob", "bob@example.org", nil, nil))
	ann, bob := f.member(t, "ann@example.org", "1"), f.member(t, "bob@example.org", "2")

	if res := f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil)); res.Queued != 0 {
		t.Fatalf("a file that is not the whole register listed %d", res.Queued)
	}
	res := f.importRows(t, true, row("1", "Ann", "ann@example.org", nil, nil))
	if got := f.pending(t); res.Queued != 1 || got[bob.ID] != KindMissing || len(got) != 1 {
		t.Fatalf("whole upload without Bob: %+v, waiting %v; want Bob listed", res, got)
	}
	if f.status(t, bob.ID) != people.Admitted || len(f.down.ceased) != 0 {
		t.Fatal("a member left out of the file was ended without the secretary")
	}
	f.scan(t)
	if got := f.pending(t); got[bob.ID] != KindMissing {
		t.Errorf("the scan withdrew the listing: %v", got)
	}
	f.importRows(t, false, row("2", "Bob", "bob@example.org", nil, nil))
	if got := f.pending(t); len(got) != 0 {
		t.Errorf("a file with Bob again left %v waiting", got)
	}
	_ = ann
}

// With apply_register_endings: automatic, endings and reinstatements are
// carried out at import, recorded as applied, and audited.
func TestEndingsApplyAutomaticallyWhenTheCoopSaysSo(t *testing.T) {
	t.Parallel()
	policy := defaultPolicy()
	policy.ApplyAutomatically = true
	f := newFixture(t, policy)
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil))
	ann := f.member(t, "ann@example.org", "1")
	res := f.importRows(t, false, row("1", "Ann", "ann@example.org", f.clock.date(0), nil))
	if res.Applied != 1 || f.status(t, ann.ID) != people.Ceased || len(f.pending(t)) != 0 {
		t.Fatalf("import: %+v, Ann %s; want her membership ended at once", res, f.status(t, ann.ID))
	}
	res = f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, nil))
	if res.Applied != 1 || f.status(t, ann.ID) != people.Admitted {
		t.Fatalf("import: %+v, Ann %s; want her reinstated at once", res, f.status(t, ann.ID))
	}
	if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = 'membership_change.apply' AND subject_id = $1`, ann.ID); n != 2 {
		t.Errorf("%d membership_change.apply events; want 2", n)
	}
}
