package federation_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
)

// TestRecordBlock: a decision, its audit event and its job commit
// together, and the job leaves Mastodon with the block as decided.
func TestRecordBlock(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	n := spamBlock("Spam.Example.", federation.Suspend)
	n.RejectMedia, n.PrivateNote = true, "seen in three reports"
	d := h.record(t, n, mod)

	if d.Domain != "spam.example" || d.RecordedByLabel != "mo@example.coop" || d.PolicyID != federation.FreeSpeechPolicy || d.PolicyVersion != "1" {
		t.Errorf("decision %+v", d)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action = 'federation.block' AND subject_id = 'spam.example'
		AND actor_label = 'mo@example.coop' AND after->>'reference' = 'https://loomio.example.coop/d/abc'`); n != 1 {
		t.Errorf("%d audit events", n)
	}
	eventually(t, "the block on Mastodon", func() (bool, string) {
		got := h.fakeBlock("spam.example")
		return got == `suspend media=true reports=false obfuscate=false "Floods of spam"` && h.applied(t, "spam.example").State == "applied", got
	})
	b, _ := h.fake.DomainBlockFor("spam.example")
	if b.PrivateComment == nil || !strings.Contains(*b.PrivateComment, "https://loomio.example.coop/d/abc") {
		t.Errorf("Mastodon's private comment %v; want where it was decided", b.PrivateComment)
	}
	if got, _ := federation.RemoteBlocks(context.Background(), h.pool); len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("Mastodon's blocks as recorded: %+v", got)
	}
}

// TestRecordEnqueuesInItsTransaction: the job exists exactly when the
// decision does; no worker needed to see it.
func TestRecordEnqueuesInItsTransaction(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	d := h.record(t, spamBlock("spam.example", federation.Silence), mod)
	if n := h.count(t, `SELECT count(*) FROM river_job WHERE kind = 'federation_apply' AND args->>'domain' = 'spam.example'
		AND (args->>'decision_id')::bigint = $1`, d.ID); n != 1 {
		t.Errorf("%d apply jobs", n)
	}
	if a := h.applied(t, "spam.example"); a.State != "pending" || a.DecisionID != d.ID {
		t.Errorf("applied %+v; want pending", a)
	}
}

// TestRecordWithoutMastodon: the ledger and its publication work with no
// Mastodon configured; nothing is enqueued for one.
func TestRecordWithoutMastodon(t *testing.T) {
	h := newHarness(t, noMastodon, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	if n := h.count(t, `SELECT count(*) FROM river_job WHERE kind = 'federation_apply'`); n != 0 {
		t.Errorf("%d apply jobs without a Mastodon", n)
	}
	if current, _ := federation.Current(context.Background(), h.pool); len(current) != 1 {
		t.Errorf("current %+v", current)
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	ctx := context.Background()
	if _, err := h.pool.Exec(ctx, `UPDATE federation_decisions SET severity = 'noop'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("update: %v", err)
	}
	if _, err := h.pool.Exec(ctx, `DELETE FROM federation_decisions`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("delete: %v", err)
	}
}

// TestRecordRefusesBadDecisions: each problem names its field, and nothing
// is written: no decision, no event, no job.
func TestRecordRefusesBadDecisions(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	past := today.AddDate(0, 0, -1)
	for _, tc := range []struct {
		name, field string
		change      func(*federation.NewDecision)
	}{
		{"wildcard", "domain", func(n *federation.NewDecision) { n.Domain = "*.spam.example" }},
		{"malformed", "domain", func(n *federation.NewDecision) { n.Domain = "spam..example" }},
		{"no reference", "reference", func(n *federation.NewDecision) { n.Reference = "  " }},
		{"no public reason", "public_reason", func(n *federation.NewDecision) { n.PublicReason = "" }},
		{"political ground", "ground", func(n *federation.NewDecision) { n.Ground = "politics" }},
		{"no ground", "ground", func(n *federation.NewDecision) { n.Ground = "" }},
		{"unknown severity", "severity", func(n *federation.NewDecision) { n.Severity = "ban" }},
		{"review date passed", "review_on", func(n *federation.NewDecision) { n.ReviewOn = &past }},
		{"review date today", "review_on", func(n *federation.NewDecision) { n.ReviewOn = &today }},
		{"reference too long", "reference", func(n *federation.NewDecision) { n.Reference = strings.Repeat("é", 2001) }},
		{"no action", "action", func(n *federation.NewDecision) { n.Action = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := spamBlock("spam.example", federation.Suspend)
			tc.change(&n)
			_, err := h.svc.Record(context.Background(), n, mod)
			var p federation.Problems
			if !errors.As(err, &p) || p[tc.field] == "" {
				t.Fatalf("err %v; want a problem with %s", err, tc.field)
			}
		})
	}
	if n := h.count(t, `SELECT (SELECT count(*) FROM federation_decisions) + (SELECT count(*) FROM river_job)
		+ (SELECT count(*) FROM audit_events WHERE action LIKE 'federation.%')`); n != 0 {
		t.Errorf("%d rows written by refused decisions", n)
	}
}

// TestGroundsNameTheirPolicy: a hate-speech block names the no-hate-speech
// policy in its version of the day; illegal content stands on the law.
func TestGroundsNameTheirPolicy(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	n := spamBlock("hate.example", federation.Suspend)
	n.Ground = federation.HateSpeech
	d := h.record(t, n, mod)
	if d.PolicyID != "no-hate-speech" || d.PolicyVersion != "1" {
		t.Errorf("hate speech decision names %q %q", d.PolicyID, d.PolicyVersion)
	}
	n = spamBlock("csam.example", federation.Suspend)
	n.Ground = federation.IllegalContent
	if d := h.record(t, n, mod); d.PolicyID != "" || d.PolicyVersion != "" {
		t.Errorf("illegal content names %q %q", d.PolicyID, d.PolicyVersion)
	}
}

// TestChangeAndLift: a change and a lift are new decisions; Mastodon
// follows each, and the history keeps them all.
func TestChangeAndLift(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	ctx := context.Background()
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	eventually(t, "suspended", func() (bool, string) {
		return strings.HasPrefix(h.fakeBlock("spam.example"), "suspend "), h.fakeBlock("spam.example")
	})
	change := spamBlock("spam.example", federation.Silence)
	change.PublicReason = "Spam slowed; limited for now"
	h.record(t, change, mod)
	eventually(t, "silenced", func() (bool, string) {
		got := h.fakeBlock("spam.example")
		return got == `silence media=false reports=false obfuscate=false "Spam slowed; limited for now"`, got
	})
	h.record(t, federation.NewDecision{Domain: "spam.example", Action: federation.Lift, PublicReason: "The spam stopped",
		Reference: "https://loomio.example.coop/d/def", Source: federation.FromForm}, mod)
	eventually(t, "lifted", func() (bool, string) { got := h.fakeBlock("spam.example"); return got == "", got })

	history, err := federation.History(ctx, h.pool, "spam.example")
	if err != nil || len(history) != 3 || history[0].Action != federation.Lift || history[2].Severity != federation.Suspend {
		t.Errorf("history %+v, %v", history, err)
	}
	if current, _ := federation.Current(ctx, h.pool); len(current) != 0 {
		t.Errorf("current after the lift: %+v", current)
	}
	if h.fake.Count("POST", "/api/v1/admin/domain_blocks") != 2 {
		t.Errorf("calls %+v; want a create, then a create answered 422 before the update", h.fake.Calls())
	}
}

func TestLiftNothing(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	_, err := h.svc.Record(context.Background(), federation.NewDecision{Domain: "never.example", Action: federation.Lift,
		PublicReason: "x", Reference: "y", Source: federation.FromForm}, mod)
	if !errors.Is(err, federation.ErrNothingToLift) {
		t.Errorf("err %v", err)
	}
}

// TestNoopWithRejectMedia: Mastodon's "reject media only" block.
func TestNoopWithRejectMedia(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	n := spamBlock("media.example", federation.Noop)
	n.RejectMedia = true
	h.record(t, n, mod)
	eventually(t, "media rejected", func() (bool, string) {
		got := h.fakeBlock("media.example")
		return strings.HasPrefix(got, "noop media=true"), got
	})
}

// TestDue: blocks past their review date, and none that are lifted.
func TestDue(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	soon := today.AddDate(0, 0, 3)
	for _, domain := range []string{"a.example", "b.example", "c.example"} {
		n := spamBlock(domain, federation.Suspend)
		n.ReviewOn = &soon
		h.record(t, n, mod)
	}
	h.record(t, federation.NewDecision{Domain: "c.example", Action: federation.Lift, PublicReason: "x", Reference: "y",
		Source: federation.FromForm}, mod)
	later := today.AddDate(0, 0, 30)
	n := spamBlock("b.example", federation.Suspend)
	n.ReviewOn = &later // reviewed: confirmed with a new date
	h.record(t, n, mod)

	due, err := federation.Due(context.Background(), h.pool, soon)
	if err != nil || len(due) != 1 || due[0].Domain != "a.example" {
		t.Errorf("due %+v, %v; want a.example only", due, err)
	}
	if due, _ := federation.Due(context.Background(), h.pool, soon.AddDate(0, 0, -1)); len(due) != 0 {
		t.Errorf("due the day before: %+v", due)
	}
}

// TestSendDigest: the weekly mail names the decisions due, to each moderator;
// with no moderator, to the secretaries; with nothing due, to nobody.
func TestSendDigest(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if n, err := h.svc.SendDigest(ctx); n != 0 || err != nil {
		t.Fatalf("nothing due: %d mails, %v", n, err)
	}
	_, mod := h.moderator(t, "mo@example.coop")
	h.moderator(t, "other@example.coop")
	soon := today.AddDate(0, 0, 1)
	n := spamBlock("stale.example", federation.Silence)
	n.ReviewOn = &soon
	h.record(t, n, mod)
	h.setToday(soon.AddDate(0, 0, 7)) // a week on, the review date has passed
	if n, err := h.svc.SendDigest(ctx); n != 2 || err != nil {
		t.Fatalf("%d mails, %v; want one to each moderator", n, err)
	}
	peopletest.Admitted(t, h.pool, "sec@example.coop", people.RoleSecretary)
	if _, err := h.pool.Exec(ctx, `UPDATE people SET roles = '{}' WHERE email <> 'sec@example.coop'`); err != nil {
		t.Fatal(err)
	}
	if n, err := h.svc.SendDigest(ctx); n != 1 || err != nil {
		t.Fatalf("%d mails, %v; want one to the secretary, as no moderator is left", n, err)
	}
	eventually(t, "the digests", func() (bool, string) {
		sent := h.sent.Sent()
		to := map[string]bool{}
		for _, m := range sent {
			to[m.To] = strings.Contains(m.Text, "stale.example") && strings.Contains(m.Text, "http://id.example.coop/moderation/federation")
		}
		return len(sent) == 3 && to["mo@example.coop"] && to["other@example.coop"] && to["sec@example.coop"], describeMail(sent)
	})
}

func describeMail(sent []mail.Message) string {
	var b strings.Builder
	for _, m := range sent {
		b.WriteString(m.To + ": " + m.Subject + "\n")
	}
	return b.String()
}
