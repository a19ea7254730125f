package admin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
)

// TestSecretaryResetsAnothersSecondFactor: a member who lost their phone
// gets their second factors reset by a secretary, audited and mailed; they
// log in with their password alone after. A secretary cannot reset their
// own, from the page or by posting the form anyway.
func TestSecretaryResetsAnothersSecondFactor(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	sam, samBrowser := secretary(t, g, "sam@example.coop", "sam")
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	apptest.EnrolTOTP(t, g, g.LoggedIn(t, ann))
	srv.WaitFor(t, ann.Email, 20*time.Second) // the app's mail

	page := g.URL + "/admin/people/" + ann.ID
	_, body := apptest.Get(t, samBrowser, page)
	if !strings.Contains(body, "Reset their second factors") || !strings.Contains(body, "<dt>Recovery codes left</dt><dd>10</dd>") {
		t.Fatalf("ann's page lacks her second factors or the reset:\n%s", body)
	}
	withForm := body
	resp, _ := apptest.Submit(t, samBrowser, page, body, "/admin/people/"+ann.ID+"/second-factor/reset", nil)
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("done") != "second-factor-reset" {
		t.Fatalf("reset: %d %v", resp.StatusCode, loc)
	}
	if n := events(t, g, "second_factor.reset", ann.ID); n != 1 {
		t.Errorf("%d audit events of the reset; want 1", n)
	}
	if msg := srv.WaitFor(t, ann.Email, 20*time.Second); !strings.Contains(msg.Text, "The membership secretary reset your second factors") {
		t.Errorf("ann's mail:\n%s", msg.Text)
	}
	logIn(t, g, ann) // the password alone, straight through

	own := g.URL + "/admin/people/" + sam.ID
	apptest.EnrolTOTP(t, g, samBrowser)
	_, body = apptest.Get(t, samBrowser, own)
	if strings.Contains(body, "/second-factor/reset") || !strings.Contains(body, "you cannot") {
		t.Error("the secretary's own page offers to reset their own second factors")
	}
	aimed := strings.ReplaceAll(withForm, ann.ID, sam.ID) // ann's form, aimed at the secretary's own id
	resp, body = apptest.Submit(t, samBrowser, own, aimed, "/admin/people/"+sam.ID+"/second-factor/reset", nil)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "ask another secretary") {
		t.Errorf("resetting one's own: %d", resp.StatusCode)
	}
	if n := g.Count(t, "SELECT count(*) FROM second_factor_totp WHERE person_id = $1", sam.ID); n != 1 {
		t.Error("the secretary's own second factor went")
	}
}
