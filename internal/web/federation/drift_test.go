package federation_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
)

// TestDriftOnTheDesk: a block made directly in Mastodon shows, after a
// comparison, as not decided here; a moderator adopts it with a ground and
// a reference, and it is published like any decision.
func TestDriftOnTheDesk(t *testing.T) {
	g, fake := gateway(t)
	_, b := moderator(t, g, "mo@example.coop", "mo")
	comment := "added in Mastodon's admin"
	fake.AddDomainBlock(mastodontest.DomainBlock{Domain: "drift.example", Severity: "silence", PublicComment: &comment})

	resp, _ := submit(t, g, b, "/moderation/federation", "/moderation/federation/compare", nil)
	wantStatus(t, "compare now", resp, http.StatusSeeOther)
	var body string
	eventually(t, "the drift on the desk", func() (bool, string) {
		_, body = apptest.Get(t, b, g.URL+"/moderation/federation")
		return strings.Contains(body, `href="/moderation/federation/adopt?domain=drift.example"`), ""
	})
	wantContains(t, "the desk", body, "Not decided here", "added in Mastodon&#39;s admin", "Mastodon's list was last read")

	path := "/moderation/federation/adopt?domain=drift.example"
	resp, body = submit(t, g, b, path, "/moderation/federation/adopt", url.Values{"ground": {"attacks"}, "reference": {""}})
	wantStatus(t, "adopting without a reference", resp, http.StatusUnprocessableEntity)
	wantContains(t, "adopting without a reference", body, `id="reference-error"`)
	resp, _ = submit(t, g, b, path, "/moderation/federation/adopt", url.Values{"ground": {"attacks"},
		"reference": {"https://forum.example.coop/t/42"}})
	wantStatus(t, "adopting", resp, http.StatusSeeOther)
	_, body = apptest.Get(t, apptest.Browser(t), g.URL+"/federation")
	wantContains(t, "the public list", body, "drift.example", "added in Mastodon&#39;s admin", "https://forum.example.coop/t/42")
	if resp, _ := apptest.Get(t, b, g.URL+path); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the adopt page of an adopted block: %d", resp.StatusCode)
	}
	if _, ok := fake.DomainBlockFor("drift.example"); !ok {
		t.Error("the block is gone from Mastodon")
	}
}
