package federation_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/people"
)

// TestModeratorPagesAskForTheSecondFactor: where the moderator's role needs
// a second factor (security.require_second_factor), a login with a password
// alone is sent to give one before the moderators' pages open, as the
// secretary's pages do; a moderator whose role needs none goes straight in.
func TestModeratorPagesAskForTheSecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, apptest.RequireSecondFactor(people.RoleModerator))
	mod := g.CreateMember(t, "mo@example.coop", "mo", people.RoleModerator)
	browser := g.LoggedIn(t, mod)
	for _, path := range []string{"/moderation/federation", "/moderation/federation/import"} {
		resp, _ := apptest.Get(t, browser, g.URL+path)
		loc, _ := resp.Location()
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.RequestURI() != "/login/second-factor?next="+url.QueryEscape(path) {
			t.Errorf("%s with a password alone: %d %v; want sent to the second factor", path, resp.StatusCode, loc)
		}
	}

	free := apptest.Start(t)
	other := free.CreateMember(t, "mo@example.coop", "mo", people.RoleModerator)
	if resp, _ := apptest.Get(t, free.LoggedIn(t, other), free.URL+"/moderation/federation"); resp.StatusCode != http.StatusOK {
		t.Errorf("a moderator whose role needs no second factor: %d; want the page", resp.StatusCode)
	}
}

// TestHistoryHidesPrivateNotesUntilTheSecondFactor: a domain's public
// history shows moderators the private notes and who recorded each
// decision, as their pages do; where the role needs a second factor, a
// login with a password alone sees what the public sees there too.
func TestHistoryHidesPrivateNotesUntilTheSecondFactor(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, apptest.RequireSecondFactor(people.RoleModerator))
	mod := g.CreateMember(t, "mo@example.coop", "mo", people.RoleModerator)
	n := fed.NewDecision{Domain: "spam.example", Action: fed.Block, Settings: fed.Settings{Severity: fed.Suspend},
		Ground: fed.Spam, PublicReason: "Floods of spam", Reference: "https://loomio.example.coop/d/abc",
		PrivateNote: "reported by three members", Source: fed.FromForm}
	if _, err := g.App.Federation.Record(context.Background(), n, audit.Actor{PersonID: mod.ID, Label: mod.Email}); err != nil {
		t.Fatal(err)
	}
	password := g.LoggedIn(t, mod)
	_, body := apptest.Get(t, password, g.URL+"/federation/spam.example")
	apptest.WantContains(t, "the history, to a password alone", body, "Floods of spam")
	apptest.WantLacks(t, "the history, to a password alone", body, "reported by three members", "Review, change or lift")

	apptest.EnrolTOTP(t, g, password) // the session has now used a second factor
	_, body = apptest.Get(t, password, g.URL+"/federation/spam.example")
	apptest.WantContains(t, "the history, after a second factor", body, "reported by three members", "Review, change or lift")
}
