package federation_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/federation"
)

func ptr(s string) *string { return &s }

// TestApplyOverAnExistingBlock: Mastodon answers 422 with its own block of
// the domain; the job changes that block to the decision instead.
func TestApplyOverAnExistingBlock(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	made := h.fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "spam.example", Severity: "silence", PublicComment: ptr("by hand")})
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	eventually(t, "the block changed", func() (bool, string) {
		got := h.fakeBlock("spam.example")
		return got == `suspend media=false reports=false obfuscate=false "Floods of spam"`, got
	})
	if n := len(h.fake.DomainBlocks()); n != 1 || h.fake.Count("PUT", "/api/v1/admin/domain_blocks/"+made.ID) != 1 {
		t.Errorf("%d blocks, calls %+v; want the one block updated", n, h.fake.Calls())
	}
}

// TestApplyIsIdempotent: a second job for the same decision finds the
// block in place and changes nothing.
func TestApplyIsIdempotent(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	eventually(t, "applied", func() (bool, string) { a := h.applied(t, "spam.example"); return a.State == "applied", a.Note })
	out, err := h.svc.Apply(context.Background(), "spam.example")
	if err != nil || out.Note != "already in place" {
		t.Errorf("second apply: %+v, %v", out, err)
	}
	if len(h.fake.DomainBlocks()) != 1 || h.fake.Count("PUT", "/api/v1/admin/domain_blocks/1") != 0 {
		t.Errorf("blocks %+v, calls %+v", h.fake.DomainBlocks(), h.fake.Calls())
	}
}

// TestApplyCoveredByParent: Mastodon refuses a block of a subdomain no
// stricter than its parent's; the decision is recorded as covered.
func TestApplyCoveredByParent(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	h.fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "spam.example", Severity: "suspend"})
	h.record(t, spamBlock("eu.spam.example", federation.Silence), mod)
	eventually(t, "covered", func() (bool, string) {
		a := h.applied(t, "eu.spam.example")
		return a.State == "covered" && strings.Contains(a.Note, "spam.example"), a.State + " " + a.Note
	})
	if h.fakeBlock("eu.spam.example") != "" {
		t.Error("a block of the subdomain was made")
	}
}

// TestApplyWaitsWhenRateLimited: a 429 snoozes the job for as long as
// Mastodon asks (X-RateLimit-Reset); it is not counted as a failure.
func TestApplyWaitsWhenRateLimited(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	h.fake.RateLimit(1, 2*time.Second)
	start := time.Now()
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	eventually(t, "applied after the wait", func() (bool, string) {
		a := h.applied(t, "spam.example")
		return a.State == "applied", a.State + " " + a.Note
	})
	if time.Since(start) < time.Second {
		t.Error("the job did not wait as Mastodon asked")
	}
	if n := h.count(t, `SELECT coalesce(max((metadata->>'snoozes')::int), 0) FROM river_job WHERE kind = 'federation_apply'`); n != 1 {
		t.Errorf("%d snoozes", n)
	}
}

// TestApplyRetriesAnOutage: while Mastodon is down the decision waits,
// shown as pending with the reason; it goes through once Mastodon is back.
func TestApplyRetriesAnOutage(t *testing.T) {
	h := newHarness(t)
	_, mod := h.moderator(t, "mo@example.coop")
	h.fake.SetDown(true)
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	eventually(t, "shown as retrying", func() (bool, string) {
		a := h.applied(t, "spam.example")
		return a.State == "pending" && strings.Contains(a.Note, "service unreachable") && strings.HasSuffix(a.Note, "(trying again)"), a.Note
	})
	h.fake.SetDown(false)
	eventually(t, "applied", func() (bool, string) { a := h.applied(t, "spam.example"); return a.State == "applied", a.Note })
}

// TestApplyRefusedForGood: a token without the domain-block scopes fails
// the job for good and says what to change; no retry can help.
func TestApplyRefusedForGood(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		change     func(*mastodontest.Server)
	}{
		{"scopes", "admin:write:domain_blocks", func(s *mastodontest.Server) { s.SetTokenScopes("admin:read:accounts", "admin:write:accounts") }},
		{"permission", "Manage Federation", func(s *mastodontest.Server) { s.SetManageFederation(false) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			_, mod := h.moderator(t, "mo@example.coop")
			tc.change(h.fake)
			h.record(t, spamBlock("spam.example", federation.Suspend), mod)
			eventually(t, "failed", func() (bool, string) {
				a := h.applied(t, "spam.example")
				return a.State == "failed" && strings.Contains(a.Note, tc.want), a.Note
			})
			eventually(t, "job cancelled", func() (bool, string) {
				s := h.jobStates(t, "federation_apply")
				return s == "cancelled", s
			})
		})
	}
}

// TestLiftOfABlockMastodonLacks: lifting what Mastodon does not block is done.
func TestLiftOfABlockMastodonLacks(t *testing.T) {
	h := newHarness(t, noWorkers)
	_, mod := h.moderator(t, "mo@example.coop")
	h.record(t, spamBlock("spam.example", federation.Suspend), mod)
	h.record(t, federation.NewDecision{Domain: "spam.example", Action: federation.Lift, PublicReason: "x", Reference: "y",
		Source: federation.FromForm}, mod)
	out, err := h.svc.Apply(context.Background(), "spam.example")
	if err != nil || out.State != "applied" || out.Note != "not blocked on Mastodon" {
		t.Errorf("%+v, %v", out, err)
	}
	if h.fake.Count(http.MethodDelete, "/api/v1/admin/domain_blocks/1") != 0 {
		t.Error("deleted something")
	}
}
