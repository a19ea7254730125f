package admin_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// TestGrantModerator: the secretary makes a member a moderator from their
// page, audited; the member then finds the moderators' pages; the role is
// taken away the same way.
func TestGrantModerator(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, sec := secretary(t, g, "sec@example.coop", "sec")
	mo := g.CreateMember(t, "mo@example.coop", "mo")
	page := "/admin/people/" + mo.ID
	_, body := apptest.Get(t, sec, g.URL+page)
	wantContains(t, "the person page", body, "Make Mo Example a moderator")

	resp, _ := apptest.Submit(t, sec, g.URL+page, body, page+"/role", nil)
	wantStatus(t, "granting", resp, http.StatusSeeOther)
	_, body = apptest.Get(t, sec, g.URL+page+"?done=role_granted")
	wantContains(t, "after the grant", body, "They are a moderator now", "Take away the moderator role", "moderator")
	if n := events(t, g, "person.role_grant", mo.ID); n != 1 {
		t.Errorf("%d grants audited", n)
	}
	if resp, _ := apptest.Get(t, g.LoggedIn(t, mo), g.URL+"/moderation/federation"); resp.StatusCode != http.StatusOK {
		t.Errorf("the new moderator's desk: %d", resp.StatusCode)
	}

	resp, _ = apptest.Submit(t, sec, g.URL+page, body, page+"/role", nil)
	wantStatus(t, "taking it away", resp, http.StatusSeeOther)
	if p, _ := people.ByID(t.Context(), g.App.Pool, mo.ID); p.IsModerator() || events(t, g, "person.role_revoke", mo.ID) != 1 {
		t.Errorf("after the revocation: %v", p.Roles)
	}
	resp, _ = apptest.Submit(t, sec, g.URL+page, body, page+"/role", url.Values{"role": {"secretary"}, "granted": {"true"}})
	wantStatus(t, "granting secretary", resp, http.StatusBadRequest)
}
