package federation_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// TestProposeAndAcceptPages: a member proposes through the form (and sees
// field errors first), a moderator finds it on the desk and accepts it
// with the Loomio thread; Mastodon ends with the block and the member is
// mailed.
func TestProposeAndAcceptPages(t *testing.T) {
	g, fake := gateway(t)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	annBrowser := g.LoggedIn(t, ann)
	_, mod := moderator(t, g, "mo@example.coop", "mo")

	resp, body := submit(t, g, annBrowser, "/federation/propose", "/federation/propose",
		url.Values{"domain": {"spam.example/@bot"}, "ground": {"spam"}, "evidence": {"not a link"}, "why": {"Bots everywhere"}})
	wantStatus(t, "a bad proposal", resp, http.StatusUnprocessableEntity)
	wantContains(t, "a bad proposal", body, `id="domain-error"`, `id="evidence-error"`, "Bots everywhere")
	resp, _ = submit(t, g, annBrowser, "/federation/propose", "/federation/propose",
		url.Values{"domain": {"spam.example"}, "ground": {"spam"}, "evidence": {"https://spam.example/@bot/1"}, "why": {"Bots everywhere"}})
	wantStatus(t, "a proposal", resp, http.StatusSeeOther)
	_, body = apptest.Get(t, annBrowser, g.URL+"/federation/propose?sent=1")
	wantContains(t, "the member's page", body, "your proposal is with the moderators", "spam.example", "pending")

	_, body = apptest.Get(t, mod, g.URL+"/moderation/federation")
	id := proposalID(t, body)
	path := "/moderation/federation/proposals/" + id
	_, body = apptest.Get(t, mod, g.URL+path)
	wantContains(t, "the proposal", body, "Bots everywhere", "https://spam.example/@bot/1", "Ann Example")
	stale := body // another moderator's tab, open before the acceptance
	resp, body = submit(t, g, mod, path, path+"/accept", url.Values{"severity": {"suspend"}, "ground": {"spam"},
		"public_reason": {"Spam bots"}, "reference": {""}})
	wantStatus(t, "an acceptance without a reference", resp, http.StatusUnprocessableEntity)
	wantContains(t, "an acceptance without a reference", body, `id="reference-error"`)
	resp, _ = submit(t, g, mod, path, path+"/accept", url.Values{"severity": {"suspend"}, "ground": {"spam"},
		"public_reason": {"Spam bots"}, "reference": {"https://loomio.example.coop/d/spam"}})
	wantStatus(t, "the acceptance", resp, http.StatusSeeOther)
	resp, body = apptest.Submit(t, mod, g.URL+path, stale, path+"/decline", url.Values{"reason": {"changed my mind"}})
	wantStatus(t, "declining an accepted proposal", resp, http.StatusConflict)
	wantContains(t, "declining an accepted proposal", body, "was accepted already")

	eventually(t, "the block and the mail", func() (bool, string) {
		_, blocked := fake.DomainBlockFor("spam.example")
		mailed := g.Count(t, `SELECT count(*) FROM dev_mail WHERE to_addr = 'ann@example.coop' AND body LIKE '%spam.example is now blocked%'`)
		return blocked && mailed == 1, ""
	})
	_, body = apptest.Get(t, apptest.Browser(t), g.URL+"/federation")
	wantContains(t, "the public list", body, "spam.example", "Spam bots", "https://loomio.example.coop/d/spam")
}

func TestDeclinePage(t *testing.T) {
	g, _ := gateway(t)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	_, mod := moderator(t, g, "mo@example.coop", "mo")
	resp, _ := submit(t, g, g.LoggedIn(t, ann), "/federation/propose", "/federation/propose",
		url.Values{"domain": {"loud.example"}, "ground": {"attacks"}, "why": {"They disagree with me"}})
	wantStatus(t, "a proposal", resp, http.StatusSeeOther)
	_, body := apptest.Get(t, mod, g.URL+"/moderation/federation")
	path := "/moderation/federation/proposals/" + proposalID(t, body)
	resp, body = submit(t, g, mod, path, path+"/decline", url.Values{"reason": {""}})
	wantStatus(t, "declining without a reason", resp, http.StatusUnprocessableEntity)
	wantContains(t, "declining without a reason", body, `id="decline-error"`)
	resp, _ = submit(t, g, mod, path, path+"/decline", url.Values{"reason": {"Disagreement is not abuse"}})
	wantStatus(t, "declining", resp, http.StatusSeeOther)
	eventually(t, "the mail", func() (bool, string) {
		n := g.Count(t, `SELECT count(*) FROM dev_mail WHERE to_addr = 'ann@example.coop' AND body LIKE '%Disagreement is not abuse%'`)
		return n == 1, ""
	})
}

// TestProposeIsForMembers: someone whose membership is not admitted is told
// so, not shown the form.
func TestProposeIsForMembers(t *testing.T) {
	g, _ := gateway(t)
	p := g.CreatePerson(t, "wait@example.org", "wait", people.AwaitingApproval)
	b := g.LoggedIn(t, p)
	resp, body := apptest.Get(t, b, g.URL+"/federation/propose")
	wantStatus(t, "a person awaiting approval", resp, http.StatusForbidden)
	wantContains(t, "a person awaiting approval", body, "Only the co-op&#39;s members propose blocks")
	if resp, _ := apptest.Get(t, apptest.Browser(t), g.URL+"/federation/propose"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("without login: %d", resp.StatusCode)
	}
}

func proposalID(t *testing.T, body string) string {
	t.Helper()
	const marker = `href="/moderation/federation/proposals/`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no proposal on the desk:\n%s", body)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}
