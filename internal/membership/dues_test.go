package membership

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/jobs"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// startReplica starts a job runner for f's service, as a replica's would
// be: the mail worker sending over SMTP to srv, and the membership jobs.
func startReplica(t *testing.T, f *fixture, srv *mailtest.Server) *jobs.Client {
	t.Helper()
	sender, err := mail.NewSMTPSender(config.SMTP{Host: srv.Host(), Port: srv.Port(), From: "id@example.coop", TLS: "none"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := river.NewWorkers()
	if err := mail.AddWorkers(w, sender, f.box, f.log, nil); err != nil {
		t.Fatal(err)
	}
	if err := AddWorkers(w, f.s); err != nil {
		t.Fatal(err)
	}
	c, err := jobs.NewRunner(f.pool, f.log, jobs.Work{Workers: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	return c
}

// duesMails counts the dues mail the server took (Di's "membership ended"
// is the other).
func duesMails(srv *mailtest.Server) int {
	n := 0
	for _, m := range srv.Messages() {
		if strings.Contains(m.Subject, "dues") {
			n++
		}
	}
	return n
}

// waitQuiet waits until every job has finished: the notices' mail, queued
// in their transactions, included.
func waitQuiet(t *testing.T, f *fixture) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := f.count(t, `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still unfinished", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// together runs fns at once and fails t on any error.
func together(t *testing.T, fns ...func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(fns))
	for i, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = fn() }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// Dues notices go out exactly once per member and date: two replicas
// scanning at once, the same notice worked twice at once, and a restart
// after River forgot its finished jobs send nothing twice, counted at a
// real SMTP server.
func TestDuesNoticesAreSentOnceAcrossReplicasAndARestart(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	pool := pgtest.New(t)
	c := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	a, b := fixtureOn(t, pool, defaultPolicy(), c), fixtureOn(t, pool, defaultPolicy(), c)
	a.importRows(t, false,
		row("1", "Ann", "ann@example.org", nil, c.date(5)),
		row("2", "Bob", "bob@example.org", nil, c.date(-3)),
		row("3", "Cy", "cy@example.org", nil, c.date(100)),
		row("4", "Di", "di@example.org", nil, c.date(5)))
	ann, bob := a.member(t, "ann@example.org", "1"), a.member(t, "bob@example.org", "2")
	a.member(t, "cy@example.org", "3")
	di := a.member(t, "di@example.org", "4")
	if err := a.s.Admission.Cease(context.Background(), di.ID, "Left.", audit.System); err != nil {
		t.Fatal(err)
	}
	dueAnn := NoticeArgs{PersonID: ann.ID, PaidUntil: c.date(5).Format(time.DateOnly), Notice: "due-7"}

	startReplica(t, a, srv)
	startReplica(t, b, srv)
	ctx := context.Background()
	together(t,
		func() error { return a.s.Scan(ctx) }, func() error { return b.s.Scan(ctx) },
		func() error { return a.s.SendNotice(ctx, dueAnn) }, func() error { return b.s.SendNotice(ctx, dueAnn) })
	waitQuiet(t, a)
	if n := a.count(t, `SELECT count(*) FROM river_job WHERE kind = 'membership_dues_notice'`); n != 2 {
		t.Errorf("%d notice jobs from two scans; want one per notice (River's unique jobs)", n)
	}
	reminder, overdue := srv.WaitFor(t, ann.Email, time.Second), srv.WaitFor(t, bob.Email, time.Second)
	if !strings.Contains(reminder.Subject, "run out on 6 March 2026") || !strings.Contains(overdue.Subject, "overdue") {
		t.Errorf("subjects %q and %q", reminder.Subject, overdue.Subject)
	}
	if !strings.Contains(reminder.Text, "https://pay.example.coop") || !strings.Contains(overdue.Text, "Please pay by 28 March 2026") {
		t.Errorf("the mails do not say how to pay, or by when:\n%s\n%s", reminder.Text, overdue.Text)
	}
	if got := duesMails(srv); got != 2 {
		t.Fatalf("%d dues mails; want Ann's reminder and Bob's overdue notice, once each", got)
	}

	// A restart: River's cleaner has removed the finished jobs, and a new
	// replica scans at start.
	if _, err := pool.Exec(ctx, `DELETE FROM river_job WHERE state = 'completed'`); err != nil {
		t.Fatal(err)
	}
	restarted := fixtureOn(t, pool, defaultPolicy(), c)
	startReplica(t, restarted, srv)
	together(t, func() error { return restarted.s.Scan(ctx) }, func() error { return restarted.s.SendNotice(ctx, dueAnn) })
	waitQuiet(t, restarted)
	c.days(1)
	together(t, func() error { return restarted.s.Scan(ctx) })
	waitQuiet(t, restarted)
	if got := duesMails(srv); got != 2 {
		t.Fatalf("%d dues mails after a restart and the next day's scan; want still 2", got)
	}

	// Ann's date passes: the overdue notice is a new one, sent once.
	c.days(5)
	together(t, func() error { return restarted.s.Scan(ctx) }, func() error { return restarted.s.Scan(ctx) })
	waitQuiet(t, restarted)
	if msg := srv.WaitFor(t, ann.Email, time.Second); !strings.Contains(msg.Subject, "overdue") || duesMails(srv) != 3 {
		t.Errorf("after Ann's date: %q, %d dues mails in all; want her overdue notice as the third", msg.Subject, duesMails(srv))
	}
	if n := a.count(t, `SELECT count(*) FROM dues_notices`); n != 3 {
		t.Errorf("%d notices recorded; want 3", n)
	}
}

// A notice whose job runs after the member paid (or was ended) sends
// nothing; a new paid-until date starts the reminders afresh.
func TestANoticeNoLongerDueIsNotSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, defaultPolicy())
	ctx := context.Background()
	f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, f.clock.date(5)))
	ann := f.member(t, "ann@example.org", "1")
	stale := NoticeArgs{PersonID: ann.ID, PaidUntil: f.clock.date(5).Format(time.DateOnly), Notice: "due-7"}
	if err := f.s.Extend(ctx, ann.ID, *f.clock.date(30), secretaryActor); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SendNotice(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM dues_notices`); n != 0 {
		t.Fatalf("a notice for the old date was sent after the member paid")
	}
	f.scan(t)
	if n := f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'membership_dues_notice' AND args->>'notice' = 'due-30'`); n != 1 {
		t.Errorf("the new date's reminder was not queued (%d)", n)
	}
}

// Lapsed members are ended by the scan only when the co-op asked for it;
// otherwise they wait on the secretary's list, who may end or extend.
func TestLapsedMembersAndTheSecretary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, endAfterGrace := range []bool{false, true} {
		policy := defaultPolicy()
		policy.EndAfterGrace = endAfterGrace
		f := newFixture(t, policy)
		f.importRows(t, false, row("1", "Ann", "ann@example.org", nil, f.clock.date(-31)), row("2", "Bob", "bob@example.org", nil, f.clock.date(-30)))
		ann, bob := f.member(t, "ann@example.org", "1"), f.member(t, "bob@example.org", "2")
		counts, err := f.s.Counts(ctx, f.pool)
		if err != nil || counts.Lapsed != 1 || counts.InGrace != 1 {
			t.Fatalf("counts %+v, %v; want Ann lapsed and Bob in grace", counts, err)
		}
		f.scan(t)
		want := people.Admitted
		if endAfterGrace {
			want = people.Ceased
		}
		if got := f.status(t, ann.ID); got != want || f.status(t, bob.ID) != people.Admitted {
			t.Fatalf("end_after_grace %v: Ann %s, Bob %s; want Ann %s and Bob admitted", endAfterGrace, got, f.status(t, bob.ID), want)
		}
		if endAfterGrace {
			continue
		}
		if err := f.s.EndLapsed(ctx, bob.ID, "Unpaid.", secretaryActor); !errors.Is(err, ErrNotLapsed) {
			t.Errorf("ending a member in grace: %v; want ErrNotLapsed", err)
		}
		if err := f.s.Extend(ctx, bob.ID, *f.clock.date(-1), secretaryActor); !errors.Is(err, ErrBadDate) {
			t.Errorf("extending to yesterday: %v; want ErrBadDate", err)
		}
		if err := f.s.Extend(ctx, bob.ID, *f.clock.date(365), secretaryActor); err != nil {
			t.Fatal(err)
		}
		if err := f.s.EndLapsed(ctx, ann.ID, "Your dues were not renewed.", secretaryActor); err != nil {
			t.Fatal(err)
		}
		if f.status(t, ann.ID) != people.Ceased || len(f.down.ceased) != 1 {
			t.Errorf("Ann %s; want ended with her services told", f.status(t, ann.ID))
		}
		counts, _ = f.s.Counts(ctx, f.pool)
		if counts != (Counts{}) {
			t.Errorf("counts after ending Ann and extending Bob: %+v; want none", counts)
		}
		for _, action := range []string{"register.extend_dues", "membership.end_lapsed"} {
			if n := f.count(t, `SELECT count(*) FROM audit_events WHERE action = $1 AND actor_label = 'secretary'`, action); n != 1 {
				t.Errorf("%d %s events by the secretary; want 1", n, action)
			}
		}
	}
}
