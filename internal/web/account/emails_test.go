package account_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

func mailJobs(t *testing.T, g *apptest.Gateway) int {
	return g.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mail_send'`)
}

// A member adds another address from /account: it counts once they follow
// the link mailed to it, and /account shows both.
func TestAMemberAddsAnotherAddress(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t)
	g := apptest.Start(t, apptest.WithSMTP(srv))
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	g.CreateMember(t, "bob@example.coop", "bob")
	b := g.LoggedIn(t, ann)
	emailsURL := g.URL + "/account/emails"

	_, page := apptest.Get(t, b, emailsURL)
	for _, tt := range []struct{ email, problem string }{
		{"", "Enter the email address to add."},
		{"not an address", "Enter an email address like name@example.coop."},
		{"ANN@example.coop", "This is your login email already."},
	} {
		resp, body := apptest.Submit(t, b, emailsURL, page, "/account/emails", url.Values{"email": {tt.email}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.problem) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%q: %d, want 422 saying %q", tt.email, resp.StatusCode, tt.problem)
		}
	}

	// Someone else's address: the same answer as for a free one, and no mail.
	before := mailJobs(t, g)
	_, taken := apptest.Submit(t, b, emailsURL, page, "/account/emails", url.Values{"email": {"bob@example.coop"}})
	_, free := apptest.Submit(t, b, emailsURL, page, "/account/emails", url.Values{"email": {"Ann@Work.example"}})
	if !strings.Contains(taken, "We sent a link to <strong>bob@example.coop</strong>") || !strings.Contains(free, "We sent a link to <strong>ann@work.example</strong>") {
		t.Fatal("the answers for a taken and a free address differ, or say nothing was sent")
	}
	if got := mailJobs(t, g) - before; got != 1 {
		t.Errorf("%d mails for a taken and a free address; want only the free one's", got)
	}

	msg := srv.WaitFor(t, "ann@work.example", 10*time.Second)
	link := mailtest.FindLink(msg.Text, g.URL+"/account/emails/confirm?token=")
	if link == "" {
		t.Fatalf("no confirmation link in:\n%s", msg.Text)
	}
	other := apptest.Browser(t) // the link works in any browser: it proves the address
	_, confirm := apptest.Get(t, other, link)
	resp, body := apptest.Submit(t, other, link, confirm, "/account/emails/confirm", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Email address added") {
		t.Fatalf("confirming: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := apptest.Submit(t, other, link, confirm, "/account/emails/confirm", nil); resp.StatusCode != http.StatusGone {
		t.Errorf("the link worked twice: %d", resp.StatusCode)
	}

	_, account := apptest.Get(t, b, g.URL+"/account")
	if !strings.Contains(account, "ann@example.coop <span class=\"muted\">(you log in with this one)") ||
		!strings.Contains(account, "<li>ann@work.example <span class=\"badge active\">confirmed</span></li>") {
		t.Errorf("/account does not show both addresses:\n%s", account)
	}
	if g.Count(t, `SELECT count(*) FROM audit_events WHERE action = 'person.email_add' AND subject_id = $1`, ann.ID) != 1 {
		t.Error("the added address is not in the audit log")
	}

	_, page = apptest.Get(t, b, emailsURL)
	resp, _ = apptest.Submit(t, b, emailsURL, page, "/account/emails/remove", url.Values{"email": {"ann@work.example"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing: %d", resp.StatusCode)
	}
	if others, _ := people.OtherEmails(context.Background(), g.App.Pool, ann.ID); len(others) != 0 {
		t.Errorf("after removing: %v", others)
	}
}

// /account tells a member where they stand with their dues, what happens
// next and how to pay.
func TestTheAccountPageShowsTheMembersStanding(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t, func(c *config.Config) {
		c.Membership.HowToPay = config.HowToPay{Text: "Pay by standing order to the co-op's account.", URL: "https://pay.example.coop/dues"}
	})
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	ctx := context.Background()
	paid := time.Now().UTC().AddDate(0, 0, -3)
	err := database.InTx(ctx, g.App.Pool, func(tx pgx.Tx) error {
		since := time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)
		e, err := register.Upsert(ctx, tx, register.Entry{MembershipNumber: "M-1", Name: "Ann", Class: "Worker", AdmittedOn: &since, PaidUntil: &paid})
		if err != nil {
			return err
		}
		return people.LinkRegisterEntry(ctx, tx, ann.ID, e.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, body := apptest.Get(t, g.LoggedIn(t, ann), g.URL+"/account")
	graceUntil := paid.AddDate(0, 0, 30).Format("2 Jan 2006")
	for _, want := range []string{"Worker", "1 Apr 2019", paid.Format("2 Jan 2006"), "in grace",
		"Please pay by " + graceUntil, "Pay by standing order", `href="https://pay.example.coop/dues"`,
		`href="mailto:secretary@example.coop"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/account does not say %q", want)
		}
	}
}
