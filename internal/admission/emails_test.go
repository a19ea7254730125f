package admission

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// queuedMailsTo opens the queued mail (sealed in river_job) addressed to to.
func queuedMailsTo(t *testing.T, s *Service, to string) []mail.Message {
	t.Helper()
	rows, err := s.Pool.Query(context.Background(), `SELECT args FROM river_job WHERE kind = 'mail_send' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	var out []mail.Message
	for _, raw := range all {
		var args mail.SendArgs
		mustUnmarshal(t, string(raw), &args)
		plain, err := s.Box.Open(args.Sealed, "mail")
		if err != nil {
			t.Fatal(err)
		}
		var m mail.Message
		if err := json.Unmarshal(plain, &m); err != nil {
			t.Fatal(err)
		}
		if m.To == to {
			out = append(out, m)
		}
	}
	return out
}

var confirmLink = regexp.MustCompile(`https://id\.example\.coop/account/emails/confirm\?token=\S+`)

// addOtherEmail asks for the address and follows the mailed link.
func addOtherEmail(t *testing.T, s *Service, p *people.Person, email string) (*people.Person, error) {
	t.Helper()
	ctx := context.Background()
	if err := s.RequestOtherEmail(ctx, p.ID, email); err != nil {
		t.Fatal(err)
	}
	mails := queuedMailsTo(t, s, email)
	if len(mails) == 0 {
		t.Fatalf("no mail to %s", email)
	}
	u, err := url.Parse(confirmLink.FindString(mails[len(mails)-1].Text))
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no confirmation link in %q", mails[len(mails)-1].Text)
	}
	got, added, err := s.ConfirmOtherEmail(ctx, u.Query().Get("token"), audit.Actor{})
	if err == nil && added != email {
		t.Errorf("added %q, want %q", added, email)
	}
	return got, err
}

func registerEntry(t *testing.T, s *Service, number, email string) int64 {
	t.Helper()
	var id int64
	err := s.Pool.QueryRow(context.Background(), `INSERT INTO register_entries (membership_number, name, emails, admitted_on)
		VALUES ($1, 'Member', ARRAY[$2::text], '2020-01-01') RETURNING id`, number, email).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Someone waiting for the secretary adds the address the register knows
// them by: the rules now admit them, as if they had signed up with it.
func TestAnotherVerifiedAddressAdmitsThroughTheRegister(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	entry := registerEntry(t, s, "M-7", "ann@work.example")
	ann := signUpNow(t, s, signUp("ann@home.example", "ann"))
	if v, err := s.VerifyEmail(ctx, verifyToken(t, s, ann.ID), Proof{SignedUpAs: ann.ID}, audit.Actor{}); err != nil || v.Decision.Admitted {
		t.Fatalf("verifying her home address: %+v %v; want an application", v, err)
	}
	got, err := addOtherEmail(t, s, ann, "ann@work.example")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != people.Admitted || got.RegisterEntryID == nil || *got.RegisterEntryID != entry {
		t.Fatalf("after adding the register's address: %s, entry %v; want admitted and linked to %d", got.Status, got.RegisterEntryID, entry)
	}
	var state, reason string
	if err := pool.QueryRow(ctx, `SELECT state, reason FROM applications WHERE person_id = $1`, ann.ID).Scan(&state, &reason); err != nil || state != "approved" {
		t.Errorf("her application is %q (%q), %v; want approved by the rule", state, reason, err)
	}
	if len(queuedMailsTo(t, s, "ann@home.example")) != 2 { // the verification link, then "approved"
		t.Errorf("she was not told she is admitted")
	}
	for _, action := range []string{"person.email_add", "person.admit"} {
		if ok, _ := audit.Happened(ctx, pool, action, ann.ID); !ok {
			t.Errorf("no %s event", action)
		}
	}
	p, _ := people.ByID(ctx, pool, ann.ID)
	if p.Email != "ann@home.example" {
		t.Errorf("the login email became %s; it stays the one she signed up with", p.Email)
	}
}

// An admitted member not yet linked to the register is linked by another
// verified address, so register changes reach them.
func TestAnotherVerifiedAddressLinksAnAdmittedMember(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	entry := registerEntry(t, s, "M-8", "bo@work.example")
	bo := signUpNow(t, s, signUp("bo@example.coop", "bo"))
	if v, err := s.VerifyEmail(ctx, verifyToken(t, s, bo.ID), Proof{SignedUpAs: bo.ID}, audit.Actor{}); err != nil || v.Decision.Rule != RuleAllowedDomain {
		t.Fatalf("%+v %v", v, err)
	}
	got, err := addOtherEmail(t, s, bo, "bo@work.example")
	if err != nil || got.RegisterEntryID == nil || *got.RegisterEntryID != entry {
		t.Fatalf("%+v, %v; want linked to entry %d", got, err, entry)
	}
}

// A sign-up with an address that is someone's other address is a sign-up
// with a registered address: no second person, and the owner is told.
func TestSignUpWithAnotherPersonsOtherAddress(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	ann := signUpNow(t, s, signUp("ann@example.coop", "ann"))
	if _, err := s.VerifyEmail(ctx, verifyToken(t, s, ann.ID), Proof{SignedUpAs: ann.ID}, audit.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := addOtherEmail(t, s, ann, "ann@elsewhere.example"); err != nil {
		t.Fatal(err)
	}
	before := footprint(t, pool)
	if _, err := s.RequestSignUp(ctx, signUp("ANN@elsewhere.example", "eve"), audit.Actor{}); err != nil {
		t.Fatal(err)
	}
	workQueued(t, s)
	if got := wrote(before, footprint(t, pool)); got != "admission_signup+1 claims+1 mail_send+1" {
		t.Errorf("the sign-up wrote %q; want no person, and one mail", got)
	}
	if len(queuedMailsTo(t, s, "ann@example.coop")) != 2 { // her verification link, then "already registered"
		t.Error("the address's owner was not told of the sign-up")
	}
}

// Asking to add an address that belongs to someone mails nothing, and the
// answer is the same as for a free one.
func TestAddingSomeoneElsesAddressMailsNothing(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	ann := signUpNow(t, s, signUp("ann@example.coop", "ann"))
	bob := signUpNow(t, s, signUp("bob@example.coop", "bob"))
	if err := s.RequestOtherEmail(ctx, bob.ID, "ann@example.coop"); err != nil {
		t.Fatalf("asking for a taken address: %v; want the same answer as for a free one", err)
	}
	if n := len(queuedMailsTo(t, s, "ann@example.coop")); n != 1 { // her own verification link only
		t.Errorf("%d mails to the taken address; want no confirmation link", n)
	}
	// Taken between the request and the click: the link refuses, and adds nothing.
	if err := s.RequestOtherEmail(ctx, bob.ID, "shared@example.org"); err != nil {
		t.Fatal(err)
	}
	link := confirmLink.FindString(queuedMailsTo(t, s, "shared@example.org")[0].Text)
	err := database.InTx(ctx, s.Pool, func(tx pgx.Tx) error { return people.AddEmail(ctx, tx, ann.ID, "shared@example.org") })
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(link)
	if _, _, err := s.ConfirmOtherEmail(ctx, u.Query().Get("token"), audit.Actor{}); !errors.Is(err, people.ErrEmailTaken) {
		t.Errorf("confirming an address taken meanwhile: %v; want ErrEmailTaken", err)
	}
	if others, _ := people.OtherEmails(ctx, s.Pool, bob.ID); len(others) != 0 {
		t.Errorf("Bob has %v", others)
	}
}
