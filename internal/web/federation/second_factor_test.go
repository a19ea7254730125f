package federation_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
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
