package federation_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	fed "github.com/coopgate/coopgate/internal/federation"
)

// TestPublishedList: anyone sees what the co-op blocks and why, each
// domain's history, and the CSV in Mastodon's format; an obfuscated domain
// is starred out everywhere the public looks, and private notes never show.
func TestPublishedList(t *testing.T) {
	g, _ := gateway(t)
	mo, modBrowser := moderator(t, g, "mo@example.coop", "mo")
	n := spam("spam.example")
	n.PrivateNote = "reported by three members"
	record(t, g, n, mo)
	slur := spam("slurname.example")
	slur.Ground, slur.Obfuscate, slur.PublicReason, slur.Reference = fed.HateSpeech, true, "Hate speech", "Decided at the general meeting"
	record(t, g, slur, mo)
	record(t, g, spam("old.example"), mo)
	record(t, g, fed.NewDecision{Domain: "old.example", Action: fed.Lift, PublicReason: "Cleaned up", Reference: "x"}, mo)

	anon := apptest.Browser(t)
	resp, body := apptest.Get(t, anon, g.URL+"/federation")
	wantStatus(t, "the list", resp, http.StatusOK)
	wantContains(t, "the list", body, "spam.example", "Floods of spam", "Spam", `href="https://loomio.example.coop/d/abc"`,
		"slurn***.***mple", "Hate speech", `href="/policies/no-hate-speech/1"`, "Decided at the general meeting",
		`href="/federation/`+fed.Digest("slurname.example")+`"`)
	wantLacks(t, "the list", body, "slurname.example", "old.example", "reported by three members", "Propose a block")

	resp, csv := apptest.Get(t, anon, g.URL+"/federation.csv")
	wantStatus(t, "the CSV", resp, http.StatusOK)
	if !strings.HasPrefix(csv, "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nspam.example,suspend,false,false,Floods of spam,false\n") ||
		strings.Contains(csv, "slurname") || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Errorf("CSV %s:\n%s", resp.Header.Get("Content-Type"), csv)
	}

	resp, body = apptest.Get(t, anon, g.URL+"/federation/"+fed.Digest("slurname.example"))
	wantStatus(t, "an obfuscated history", resp, http.StatusOK)
	wantLacks(t, "an obfuscated history", body, "slurname.example")
	resp, body = apptest.Get(t, anon, g.URL+"/federation/Old.Example")
	wantStatus(t, "a lifted domain's history", resp, http.StatusOK)
	wantContains(t, "a lifted domain's history", body, "Not blocked now", "lifted", "Cleaned up")
	for _, path := range []string{"/federation/never.example", "/federation/not_a_domain", "/federation/" + strings.Repeat("a", 64)} {
		if resp, _ := apptest.Get(t, anon, g.URL+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}

	_, body = apptest.Get(t, modBrowser, g.URL+"/federation/spam.example")
	wantContains(t, "a moderator's view", body, "reported by three members", "mo@example.coop", "Review, change or lift")
	_, body = apptest.Get(t, modBrowser, g.URL+"/moderation/federation/export.csv")
	if !strings.Contains(body, "slurname.example,suspend,false,false,Hate speech,true") {
		t.Errorf("the moderators' CSV:\n%s", body)
	}
}

// TestModerationIsForModerators: the moderators' pages need an admitted
// moderator or secretary; the public pages need no one.
func TestModerationIsForModerators(t *testing.T) {
	g, _ := gateway(t)
	member := g.CreateMember(t, "ann@example.coop", "ann")
	secretary := g.CreateMember(t, "sec@example.coop", "sec", "secretary")
	_, modBrowser := moderator(t, g, "mo@example.coop", "mo")
	gone := g.CreateMember(t, "gone@example.coop", "gone", "moderator")
	goneBrowser := g.LoggedIn(t, gone)
	if _, err := g.App.Pool.Exec(t.Context(), `UPDATE people SET status = 'ceased' WHERE id = $1`, gone.ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/moderation/federation", "/moderation/federation/decide", "/moderation/federation/import",
		"/moderation/federation/export.csv", "/moderation/anything"} {
		if resp, _ := apptest.Get(t, apptest.Browser(t), g.URL+path); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s without login: %d", path, resp.StatusCode)
		}
		for who, b := range map[string]*http.Client{"a member": g.LoggedIn(t, member), "a former moderator": goneBrowser} {
			if resp, _ := apptest.Get(t, b, g.URL+path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s for %s: %d", path, who, resp.StatusCode)
			}
		}
	}
	for who, b := range map[string]*http.Client{"a moderator": modBrowser, "a secretary": g.LoggedIn(t, secretary)} {
		resp, body := apptest.Get(t, b, g.URL+"/moderation/federation")
		wantStatus(t, who, resp, http.StatusOK)
		wantContains(t, who, body, `<a href="/moderation/federation">Moderation</a>`)
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", who, resp.Header.Get("Cache-Control"))
		}
	}
	_, body := apptest.Get(t, g.LoggedIn(t, member), g.URL+"/federation")
	wantLacks(t, "a member's menu", body, `href="/moderation/federation"`)
	wantContains(t, "a member's list", body, `href="/federation/propose"`)
}
