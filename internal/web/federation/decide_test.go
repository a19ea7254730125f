package federation_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// TestDecideForm: bad input comes back with every problem beside its
// field, what was typed kept, and nothing recorded; a good decision is
// recorded, published, and reaches Mastodon.
func TestDecideForm(t *testing.T) {
	g, fake := gateway(t)
	_, b := moderator(t, g, "mo@example.coop", "mo")
	resp, body := submit(t, g, b, "/moderation/federation/decide", "/moderation/federation/decide", url.Values{
		"domain": {"*.spam.example"}, "severity": {"suspend"}, "ground": {"politics"}, "public_reason": {"They are awful"},
		"reference": {""}, "review_on": {"next week"}})
	wantStatus(t, "a bad decision", resp, http.StatusUnprocessableEntity)
	wantContains(t, "a bad decision", body, "Nothing was recorded", `id="domain-error"`, "without a wildcard",
		`id="ground-error"`, `id="reference-error"`, `id="review_on-error"`, `value="*.spam.example"`, "They are awful",
		"We do not block other servers for their politics.")
	if n := g.Count(t, `SELECT count(*) FROM federation_decisions`); n != 0 {
		t.Fatalf("%d decisions recorded", n)
	}

	resp, _ = submit(t, g, b, "/moderation/federation/decide", "/moderation/federation/decide", url.Values{
		"domain": {"Spam.Example"}, "severity": {"silence"}, "reject_media": {"1"}, "ground": {"spam"},
		"public_reason": {"Floods of spam"}, "reference": {"https://loomio.example.coop/d/abc"}, "review_on": {"2099-01-31"}})
	wantStatus(t, "a good decision", resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/federation/spam.example?recorded=1" {
		t.Errorf("sent to %s", loc)
	}
	_, body = apptest.Get(t, b, g.URL+"/federation/spam.example?recorded=1")
	wantContains(t, "the history", body, "The decision is recorded and published", "review on 31 Jan 2099")
	eventually(t, "the block on Mastodon", func() (bool, string) {
		blk, ok := fake.DomainBlockFor("spam.example")
		return ok && blk.Severity == "silence" && blk.RejectMedia, ""
	})

	_, body = apptest.Get(t, b, g.URL+"/moderation/federation/decide?domain=spam.example")
	wantContains(t, "the decide page for a blocked domain", body, "Floods of spam</textarea>", "Lift the block of spam.example")
	page := body // a tab kept open with the lift form
	resp, body = submit(t, g, b, "/moderation/federation/decide?domain=spam.example", "/moderation/federation/lift",
		url.Values{"public_reason": {"Spam stopped"}, "reference": {""}})
	wantStatus(t, "a lift without a reference", resp, http.StatusUnprocessableEntity)
	wantContains(t, "a lift without a reference", body, "Nothing was lifted", `id="lift-reference-error"`)
	resp, _ = submit(t, g, b, "/moderation/federation/decide?domain=spam.example", "/moderation/federation/lift",
		url.Values{"public_reason": {"Spam stopped"}, "reference": {"https://loomio.example.coop/d/def"}})
	wantStatus(t, "a lift", resp, http.StatusSeeOther)
	eventually(t, "lifted on Mastodon", func() (bool, string) { _, ok := fake.DomainBlockFor("spam.example"); return !ok, "" })
	resp, body = apptest.Submit(t, b, g.URL+"/moderation/federation/decide", page, "/moderation/federation/lift",
		url.Values{"domain": {"never.example"}, "public_reason": {"x"}, "reference": {"y"}})
	wantStatus(t, "lifting what is not blocked", resp, http.StatusUnprocessableEntity)
	wantContains(t, "lifting what is not blocked", body, "nothing to lift")
}
