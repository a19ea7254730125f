package admission

import (
	"context"
	"slices"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
)

// TestSeedDomainsLeavesTheSecretarysRemovalsOut: the configured domains are
// added once; one the secretary removed stays removed at the next start,
// and the others are still seeded.
func TestSeedDomainsLeavesTheSecretarysRemovalsOut(t *testing.T) {
	ctx := context.Background()
	s, pool := newService(t) // example.coop is on the list already
	domains := func() []string {
		t.Helper()
		list, err := AllowedDomains(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range list {
			out = append(out, d.Domain)
		}
		return out
	}
	config := []string{"Partner.Example", "example.coop", "friends.example"}
	if err := SeedDomains(ctx, pool, config); err != nil {
		t.Fatal(err)
	}
	if got, want := domains(), []string{"example.coop", "friends.example", "partner.example"}; !slices.Equal(got, want) {
		t.Fatalf("after seeding: %v, want %v", got, want)
	}
	if err := s.RemoveDomain(ctx, "partner.example", audit.Actor{Label: "secretary@example.coop"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM allowed_domains WHERE domain = 'friends.example'`); err != nil {
		t.Fatal(err) // gone without the secretary: seeded again
	}
	if err := SeedDomains(ctx, pool, config); err != nil {
		t.Fatal(err)
	}
	if got, want := domains(), []string{"example.coop", "friends.example"}; !slices.Equal(got, want) {
		t.Errorf("after the secretary removed partner.example and seeding again: %v, want %v", got, want)
	}
}
