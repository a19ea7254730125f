package federation_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/federation"
)

func (h *harness) differences(t *testing.T) string {
	t.Helper()
	diffs, err := federation.Differences(context.Background(), h.pool)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range diffs {
		out = append(out, d.Domain+" "+string(d.Kind))
	}
	return strings.Join(out, ", ")
}

// TestCompareShowsDriftAndFixesDifferences: a block made in Mastodon's UI
// is shown as not decided here and never deleted; a decided block changed
// in Mastodon is put back as decided; one deleted there is made again.
func TestCompareShowsDriftAndFixesDifferences(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	ctx := context.Background()
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	h.record(t, spamBlock("gone.example", federation.Silence), mod)
	eventually(t, "applied", func() (bool, string) {
		return len(h.fake.DomainBlocks()) == 2, fmt.Sprint(h.fake.DomainBlocks())
	})
	h.fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "drift.example", Severity: "suspend", PublicComment: ptr("made by hand")})
	changed, _ := h.fake.DomainBlockFor("spam.example")
	mustDo(t, h, "PUT", changed.ID, `{"severity":"noop"}`)
	gone, _ := h.fake.DomainBlockFor("gone.example")
	mustDo(t, h, "DELETE", gone.ID, "")

	if err := h.svc.CompareNow(ctx, audit.Actor{Label: "mo@example.coop"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "put right, drift left", func() (bool, string) {
		got := h.differences(t)
		got += " / " + fmt.Sprint(h.fake.DomainBlocks()) + " / " + h.jobStates(t, "federation_apply")
		return strings.HasPrefix(got, "drift.example not_decided /") &&
			strings.HasPrefix(h.fakeBlock("spam.example"), "suspend ") && strings.HasPrefix(h.fakeBlock("gone.example"), "silence "), got
	})
	if h.fakeBlock("drift.example") == "" {
		t.Error("the block made on Mastodon was deleted")
	}
	if c, _ := federation.LastComparison(ctx, h.pool); c.At == nil || c.Problem != "" {
		t.Errorf("comparison %+v", c)
	}
}

// mustDo changes a block on the fake through its API, as Mastodon's own
// admin would.
func mustDo(t *testing.T, h *harness, method, id, body string) {
	t.Helper()
	if err := h.fake.Do(method, "/api/v1/admin/domain_blocks/"+id, body); err != nil {
		t.Fatal(err)
	}
}

// TestCompareRecordsRefusal: a Mastodon that refuses the list is shown to
// the moderators with what to change, and the job does not fail.
func TestCompareRecordsRefusal(t *testing.T) {
	h := newHarness(t)
	h.fake.SetTokenScopes("admin:read:accounts")
	if err := h.svc.CompareNow(context.Background(), audit.Actor{Label: "x"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the refusal recorded", func() (bool, string) {
		c, _ := federation.LastComparison(context.Background(), h.pool)
		return strings.Contains(c.Problem, "admin:read:domain_blocks") && c.At == nil, c.Problem
	})
	eventually(t, "the job completed", func() (bool, string) { s := h.jobStates(t, "federation_compare"); return s == "completed", s })
}

// TestAdopt: a block made in Mastodon becomes the co-op's decision, with
// Mastodon's settings and the moderator's ground and reference.
func TestAdopt(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	ctx := context.Background()
	h.fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "drift.example", Severity: "silence", RejectMedia: true,
		PublicComment: ptr("made by hand")})
	if _, err := h.svc.Adopt(ctx, federation.Adoption{Domain: "drift.example", Ground: federation.Attacks,
		Reference: "https://forum.example.coop/t/9"}, mod); !errors.Is(err, federation.ErrNotOnMastodon) {
		t.Fatalf("adopting before Mastodon's list is read: %v", err)
	}
	if err := h.svc.CompareNow(ctx, mod); err != nil {
		t.Fatal(err)
	}
	eventually(t, "drift seen", func() (bool, string) { got := h.differences(t); return got == "drift.example not_decided", got })

	_, err := h.svc.Adopt(ctx, federation.Adoption{Domain: "drift.example", Ground: federation.Attacks}, mod)
	var p federation.Problems
	if !errors.As(err, &p) || p["reference"] == "" {
		t.Fatalf("adopting without a reference: %v", err)
	}
	d, err := h.svc.Adopt(ctx, federation.Adoption{Domain: "drift.example", Ground: federation.Attacks,
		Reference: "https://forum.example.coop/t/9"}, mod)
	if err != nil || d.Source != federation.FromAdoption || d.Severity != federation.Silence || !d.RejectMedia || d.PublicReason != "made by hand" {
		t.Fatalf("adopted %+v, %v", d, err)
	}
	eventually(t, "in step", func() (bool, string) {
		got := h.differences(t)
		return got == "" && h.applied(t, "drift.example").State == "applied", got
	})
	if got := h.fakeBlock("drift.example"); got != `silence media=true reports=false obfuscate=false "made by hand"` {
		t.Errorf("Mastodon's block now %s", got)
	}
}

// TestLiftWhatMastodonBlocked: a block made in Mastodon that the co-op
// will not adopt is lifted with a decision of its own, and gone from
// Mastodon; the ledger shows the lift.
func TestLiftWhatMastodonBlocked(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	ctx := context.Background()
	h.fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "drift.example", Severity: "suspend", PublicComment: ptr("made by hand")})
	if err := h.svc.CompareNow(ctx, mod); err != nil {
		t.Fatal(err)
	}
	eventually(t, "drift seen", func() (bool, string) { got := h.differences(t); return got == "drift.example not_decided", got })
	d := h.record(t, federation.NewDecision{Domain: "drift.example", Action: federation.Lift, PublicReason: "Blocked by mistake",
		Reference: "https://forum.example.coop/t/10", Source: federation.FromForm}, mod)
	eventually(t, "lifted on Mastodon", func() (bool, string) {
		got := h.fakeBlock("drift.example")
		return got == "" && h.applied(t, "drift.example").State == "applied", got
	})
	if got := h.differences(t); got != "" || d.Action != federation.Lift {
		t.Errorf("after the lift: differences %q, decision %+v", got, d)
	}
}

// TestSync: the dry run says what it would do and changes nothing; the real
// run puts right what differs and leaves blocks not decided here alone.
func TestSync(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	ctx := context.Background()
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	h.fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "drift.example", Severity: "suspend"})

	var lines []string
	collect := func(l federation.SyncLine) {
		s := l.Domain + ": " + l.Plan()
		if l.Outcome != nil {
			s = l.Domain + ": " + l.Outcome.Note
		}
		lines = append(lines, s)
	}
	if err := h.svc.Sync(ctx, true, collect); err != nil {
		t.Fatal(err)
	}
	want := "drift.example: blocked on Mastodon (suspend), not decided here: left alone; adopt it with a ground and a reference, or lift it\n" +
		"spam.example: not blocked on Mastodon: would block it (suspend)"
	if got := strings.Join(lines, "\n"); got != want {
		t.Errorf("dry run:\n%s\nwant\n%s", got, want)
	}
	if h.fake.Count("POST", "/api/v1/admin/domain_blocks") != 0 || len(h.fake.DomainBlocks()) != 1 {
		t.Fatal("the dry run changed Mastodon")
	}
	lines = nil
	if err := h.svc.Sync(ctx, false, collect); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, "\n"); !strings.Contains(got, "spam.example: blocked") || !strings.Contains(got, "drift.example: blocked on Mastodon (suspend), not decided here") {
		t.Errorf("sync:\n%s", got)
	}
	if h.fakeBlock("spam.example") == "" || h.fakeBlock("drift.example") == "" || h.applied(t, "spam.example").State != "applied" {
		t.Errorf("after the sync: %+v", h.fake.DomainBlocks())
	}
}

// TestSyncWithoutMastodon says so.
func TestSyncWithoutMastodon(t *testing.T) {
	h := newHarness(t, noMastodon, noWorkers)
	if err := h.svc.Sync(context.Background(), true, func(federation.SyncLine) {}); !errors.Is(err, federation.ErrNoMastodon) {
		t.Errorf("err %v", err)
	}
}
