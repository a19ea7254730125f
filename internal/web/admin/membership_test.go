package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

// linkToRegister links p to the register entry with number, as admission
// does for someone the register admitted.
func linkToRegister(t *testing.T, g *apptest.Gateway, p apptest.Person, number string) {
	t.Helper()
	ctx := context.Background()
	e, err := register.GetByNumber(ctx, g.App.Pool, number)
	if err != nil {
		t.Fatal(err)
	}
	if err := database.InTx(ctx, g.App.Pool, func(tx pgx.Tx) error { return people.LinkRegisterEntry(ctx, tx, p.ID, e.ID) }); err != nil {
		t.Fatal(err)
	}
}

// importFile uploads content and confirms the preview, with fields (the
// "whole register" tick) added to the confirmation.
func importFile(t *testing.T, g *apptest.Gateway, b *http.Client, content string, fields url.Values) string {
	t.Helper()
	importURL := g.URL + "/admin/register/import"
	_, page := apptest.Get(t, b, importURL)
	resp, preview := upload(t, b, g, page, "members.csv", content)
	wantStatus(t, "preview", resp, http.StatusOK)
	resp, body := apptest.Submit(t, b, importURL, preview, "/admin/register/import/confirm", fields)
	wantStatus(t, "confirm", resp, http.StatusSeeOther)
	_, body = apptest.Follow(t, b, g.URL, resp, body)
	return body
}

func userinfoStatus(t *testing.T, rp *apptest.RP, tok *oauth2.Token) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rp.Provider.UserInfoEndpoint(), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// An import that gives a logged-in member's register entry a ceased_on date
// ends nothing: the change waits for the secretary. Confirming it ends the
// member's sessions and tokens and asks the services to suspend them.
func TestARegisterEndingIsConfirmedByTheSecretary(t *testing.T) {
	t.Parallel()
	fake := mastodontest.NewServer(t, "mastodon-token")
	g := apptest.Start(t, func(c *config.Config) {
		c.Downstream.Mastodon = config.Mastodon{Enabled: true, BaseURL: fake.URL, Token: fake.Token}
	})
	_, b := secretary(t, g, "sec@example.coop", "sec")
	importFile(t, g, b, "membership_number,name,emails\nM-1,Dee Member,dee@example.coop\n", nil)
	dee := g.CreateMember(t, "dee@example.coop", "dee")
	linkToRegister(t, g, dee, "M-1")
	rp := apptest.NewRP(t, g)
	tok := rp.Tokens(t, apptest.Browser(t), dee)
	deeBrowser := g.LoggedIn(t, dee)

	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	body := importFile(t, g, b, "membership_number,name,emails,ceased_on,ceased_reason\nM-1,Dee Member,dee@example.coop,"+yesterday+",resigned\n", nil)
	wantContains(t, "after the import", body, "1 membership change waits for you to confirm")
	if status(t, g, dee.ID) != people.Admitted || userinfoStatus(t, rp, tok) != http.StatusOK {
		t.Fatal("the import ended Dee's membership, or her tokens, before the secretary confirmed")
	}
	if resp, _ := apptest.Get(t, deeBrowser, g.URL+"/account"); resp.StatusCode != http.StatusOK {
		t.Fatalf("Dee's session ended before the secretary confirmed: %d", resp.StatusCode)
	}
	if n := count(t, g, `SELECT count(*) FROM river_job WHERE kind = 'downstream_suspend'`); n != 0 {
		t.Fatalf("%d suspensions enqueued before the secretary confirmed", n)
	}

	_, dash := apptest.Get(t, b, g.URL+"/admin")
	wantContains(t, "dashboard", dash, `Membership changes to confirm</a></dt><dd>1</dd>`)
	changesURL := g.URL + "/admin/membership/changes"
	_, page := apptest.Get(t, b, changesURL)
	wantContains(t, "changes", page, "Dee Member", "import of members.csv", "resigned",
		"The member register records that your membership ended on")
	action := confirmAction(t, page)
	resp, _ := apptest.Submit(t, b, changesURL, page, action, url.Values{"reason": {""}})
	wantStatus(t, "confirming without a reason", resp, http.StatusUnprocessableEntity)
	resp, body = apptest.Submit(t, b, changesURL, page, action, url.Values{"reason": {"You resigned: thank you for your years with us."}})
	wantStatus(t, "confirm", resp, http.StatusSeeOther)

	if status(t, g, dee.ID) != people.Ceased {
		t.Fatal("confirming did not end Dee's membership")
	}
	if code := userinfoStatus(t, rp, tok); code != http.StatusUnauthorized {
		t.Errorf("Dee's access token after the ending: %d; want 401", code)
	}
	if _, err := rp.OAuth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("Dee's refresh token still works")
	}
	if resp, _ := apptest.Get(t, deeBrowser, g.URL+"/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("Dee's session survived the ending: /account answered %d", resp.StatusCode)
	}
	if n := count(t, g, `SELECT count(*) FROM river_job WHERE kind = 'downstream_suspend' AND args->>'person_id' = $1`, dee.ID); n != 1 {
		t.Errorf("%d suspensions of Dee's Mastodon account enqueued; want 1", n)
	}
	if events(t, g, "membership_change.confirm", dee.ID) != 1 || events(t, g, "person.cease", dee.ID) != 1 {
		t.Error("the confirmation is not in the audit log")
	}
	_, page = apptest.Get(t, b, changesURL)
	wantContains(t, "changes after", page, "Nothing is waiting.")
}

// confirmAction is the action of the first confirm form on the page.
func confirmAction(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, `action="/admin/membership/changes/`)
	if i < 0 {
		t.Fatalf("no change to confirm on the page:\n%s", page)
	}
	rest := page[i+len(`action="`):]
	return rest[:strings.Index(rest, `"`)]
}

// A whole-register upload lists the linked members it leaves out, and the
// preview says who they would be; dismissing keeps them as they are.
func TestAWholeRegisterUploadListsWhoIsLeftOut(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	importFile(t, g, b, "membership_number,name,emails\nM-1,Ann,ann@example.coop\nM-2,Bob,bob@example.coop\n", nil)
	bob := g.CreateMember(t, "bob@example.coop", "bob")
	linkToRegister(t, g, bob, "M-2")

	_, page := apptest.Get(t, b, g.URL+"/admin/register/import")
	_, preview := upload(t, b, g, page, "members.csv", "membership_number,name,emails\nM-1,Ann,ann@example.coop\n")
	wantContains(t, "preview", preview, "This file is the whole register", "(1: Bob Example)")
	importFile(t, g, b, "membership_number,name,emails\nM-1,Ann,ann@example.coop\n", nil)
	if n := count(t, g, `SELECT count(*) FROM membership_changes`); n != 0 {
		t.Fatalf("a file not ticked as the whole register listed %d", n)
	}
	importFile(t, g, b, "membership_number,name,emails\nM-1,Ann,ann@example.coop\n", url.Values{"whole": {"1"}})
	changesURL := g.URL + "/admin/membership/changes"
	_, list := apptest.Get(t, b, changesURL)
	wantContains(t, "changes", list, "Bob Example", "not in the whole-register upload")
	if status(t, g, bob.ID) != people.Admitted {
		t.Fatal("Bob was ended for being left out of a file")
	}
	dismiss := strings.Replace(confirmAction(t, list), "/confirm", "/dismiss", 1)
	resp, _ := apptest.Submit(t, b, changesURL, list, dismiss, nil)
	wantStatus(t, "dismiss", resp, http.StatusSeeOther)
	if status(t, g, bob.ID) != people.Admitted || events(t, g, "membership_change.dismiss", bob.ID) != 1 {
		t.Error("dismissing changed Bob's standing, or was not audited")
	}
}

// The dues lists: a lapsed member can be ended (with the usual reason and
// mail) or extended, each audited; the dashboard counts them.
func TestDuesListsEndAndExtend(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	day := func(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
	importFile(t, g, b, "membership_number,name,emails,paid_until\n"+
		"M-1,Ann,ann@example.coop,"+day(-40)+"\nM-2,Bob,bob@example.coop,"+day(-45)+"\nM-3,Cy,cy@example.coop,"+day(-5)+"\nM-4,Di,di@example.coop,"+day(10)+"\n", nil)
	for i, name := range []string{"ann", "bob", "cy", "di"} {
		linkToRegister(t, g, g.CreateMember(t, name+"@example.coop", name), "M-"+string(rune('1'+i)))
	}
	_, dash := apptest.Get(t, b, g.URL+"/admin")
	wantContains(t, "dashboard", dash, `Dues lapsing in 30 days</a></dt><dd>1</dd>`, `Dues in grace</a></dt><dd>1</dd>`, `Dues lapsed</a></dt><dd>2</dd>`)

	lapsedURL := g.URL + "/admin/membership/dues?list=lapsed"
	_, page := apptest.Get(t, b, lapsedURL)
	wantContains(t, "lapsed", page, "Ann Example", "Bob Example", "were not renewed by")
	ann, _ := people.ByEmail(context.Background(), g.App.Pool, "ann@example.coop")
	bob, _ := people.ByEmail(context.Background(), g.App.Pool, "bob@example.coop")
	resp, _ := apptest.Submit(t, b, lapsedURL, page, "/admin/membership/dues/"+ann.ID+"/end", url.Values{"reason": {"Your dues were not renewed."}})
	wantStatus(t, "end", resp, http.StatusSeeOther)
	resp, body := apptest.Submit(t, b, lapsedURL, page, "/admin/membership/dues/"+bob.ID+"/extend", url.Values{"paid_until": {"yesterday"}})
	wantStatus(t, "extend with a bad date", resp, http.StatusUnprocessableEntity)
	wantContains(t, "extend with a bad date", body, `value="yesterday"`, "Enter the date as YYYY-MM-DD")
	resp, _ = apptest.Submit(t, b, lapsedURL, page, "/admin/membership/dues/"+bob.ID+"/extend", url.Values{"paid_until": {day(300)}})
	wantStatus(t, "extend", resp, http.StatusSeeOther)

	if status(t, g, ann.ID) != people.Ceased || status(t, g, bob.ID) != people.Admitted {
		t.Errorf("Ann %s, Bob %s; want Ann ended and Bob a member", status(t, g, ann.ID), status(t, g, bob.ID))
	}
	if events(t, g, "membership.end_lapsed", ann.ID) != 1 || events(t, g, "register.extend_dues", bob.ID) != 1 {
		t.Error("ending or extending is not in the audit log")
	}
	_, page = apptest.Get(t, b, lapsedURL)
	wantContains(t, "lapsed after", page, "0 members")
}
