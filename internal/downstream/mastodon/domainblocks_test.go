package mastodon_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
)

func TestDomainBlocksLifecycle(t *testing.T) {
	ctx := context.Background()
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})

	made, err := c.CreateDomainBlock(ctx, mastodon.BlockParams{Domain: "Bücher.Example", Severity: "noop", RejectMedia: true,
		PublicComment: "Media only", PrivateComment: "decision 1"})
	if err != nil {
		t.Fatal(err)
	}
	if made.Domain != "xn--bcher-kva.example" || made.Severity != "noop" || !made.RejectMedia || made.Digest == "" ||
		made.PublicComment == nil || *made.PublicComment != "Media only" || made.CreatedAt.IsZero() {
		t.Errorf("made %+v", made)
	}

	_, err = c.CreateDomainBlock(ctx, mastodon.BlockParams{Domain: "xn--bcher-kva.example", Severity: "suspend"})
	existing, ok := mastodon.IsExistingBlock(err)
	if !ok || existing.Existing.ID != made.ID || !strings.Contains(existing.Message, "already imposed stricter limits on xn--bcher-kva.example") {
		t.Fatalf("a second create: %v", err)
	}

	updated, err := c.UpdateDomainBlock(ctx, made.ID, mastodon.BlockParams{Severity: "suspend", PublicComment: "Worse now"})
	if err != nil || updated.Severity != "suspend" || updated.RejectMedia || *updated.PublicComment != "Worse now" || updated.Domain != made.Domain {
		t.Fatalf("updated %+v, %v", updated, err)
	}
	if err := c.DeleteDomainBlock(ctx, made.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDomainBlock(ctx, made.ID); err != nil {
		t.Errorf("deleting a block that is gone: %v", err)
	}
	if list, err := c.DomainBlocks(ctx); err != nil || len(list) != 0 {
		t.Errorf("list %+v, %v", list, err)
	}
}

// TestDomainBlocksPaging: the list follows Link rel="next" across pages of
// 200, newest first, as Mastodon serves them.
func TestDomainBlocksPaging(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	for i := range 450 {
		fake.AddDomainBlock(mastodontest.DomainBlock{Domain: fmt.Sprintf("d%d.example", i), Severity: "suspend"})
	}
	list, err := c.DomainBlocks(context.Background())
	if err != nil || len(list) != 450 || list[0].Domain != "d449.example" || list[449].Domain != "d0.example" {
		t.Fatalf("%d blocks, %v", len(list), err)
	}
	if n := fake.Count("GET", "/api/v1/admin/domain_blocks"); n != 3 {
		t.Errorf("%d pages read", n)
	}
}

// TestDomainBlockRefusals: the fake refuses what Mastodon refuses, and the
// client passes the refusal on with Mastodon's words.
func TestDomainBlockRefusals(t *testing.T) {
	ctx := context.Background()
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "spam.example", Severity: "suspend"})
	for _, tc := range []struct {
		name   string
		params mastodon.BlockParams
		want   string
	}{
		{"wildcard", mastodon.BlockParams{Domain: "*.wild.example", Severity: "suspend"}, "HTTP 422: Validation failed: Domain is invalid"},
		{"blank", mastodon.BlockParams{Severity: "suspend"}, "Validation failed: Domain can't be blank"},
		{"severity", mastodon.BlockParams{Domain: "ok.example", Severity: "ban"}, "Validation failed: Severity is not included in the list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateDomainBlock(ctx, tc.params)
			if de := downstream.AsError(err); de == nil || !de.Permanent() || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want %q", err, tc.want)
			}
		})
	}
	// A subdomain's block no stricter than its parent's is refused with the
	// parent's block; a stricter one is made.
	_, err := c.CreateDomainBlock(ctx, mastodon.BlockParams{Domain: "eu.spam.example", Severity: "silence"})
	if e, ok := mastodon.IsExistingBlock(err); !ok || e.Existing.Domain != "spam.example" {
		t.Errorf("a laxer subdomain block: %v", err)
	}
	fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "quiet.example", Severity: "silence"})
	if _, err := c.CreateDomainBlock(ctx, mastodon.BlockParams{Domain: "eu.quiet.example", Severity: "suspend"}); err != nil {
		t.Errorf("a stricter subdomain block: %v", err)
	}
	if len(fake.DomainBlocks()) != 3 {
		t.Errorf("blocks %+v", fake.DomainBlocks())
	}
}

// TestDomainBlocksRateLimited: a 429 comes back with the wait Mastodon asked for.
func TestDomainBlocksRateLimited(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	fake.RateLimit(1, 0)
	_, err := c.CreateDomainBlock(context.Background(), mastodon.BlockParams{Domain: "x.example", Severity: "suspend"})
	if de := downstream.AsError(err); de == nil || de.Status != http.StatusTooManyRequests || de.Permanent() {
		t.Errorf("err %v", err)
	}
}

// TestCheckDomainBlocks: `downstream check` says which scope or permission
// the domain blocks lack.
func TestCheckDomainBlocks(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	findings := func() string {
		f, err := c.Check(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, x := range f {
			out = append(out, fmt.Sprintf("%d %s = %s: %s", x.Verdict, x.Setting, x.Value, x.Note))
		}
		return strings.Join(out, "\n")
	}
	if got := findings(); strings.Contains(got, "refused") {
		t.Errorf("all granted:\n%s", got)
	}
	fake.SetManageFederation(false)
	if got := findings(); !strings.Contains(got, "admin:read:domain_blocks, role with Manage Federation = refused: This action is not allowed: the token's user needs a role with the Manage Federation permission") {
		t.Errorf("without Manage Federation:\n%s", got)
	}
	fake.SetManageFederation(true)
	fake.SetTokenScopes("admin:read:accounts", "admin:write:accounts", "admin:read:domain_blocks")
	if got := findings(); !strings.Contains(got, "admin:write:domain_blocks = refused") || strings.Contains(got, "read:domain_blocks, role with Manage Federation = refused") {
		t.Errorf("without the write scope:\n%s", got)
	}
}
