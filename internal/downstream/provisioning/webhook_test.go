package provisioning_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
)

func (h *harness) deliver(t *testing.T, body []byte, signature string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/mastodon", bytes.NewReader(body))
	req.Header.Set(mastodon.WebhookSignatureHeader, signature)
	rec := httptest.NewRecorder()
	h.prov.MastodonWebhook().ServeHTTP(rec, req)
	return rec.Code
}

func (h *harness) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWebhookApprovesAMembersSignUpOnce: a signed account.created for an
// admitted person's pending sign-up approves it; the same delivery again is
// accepted and does nothing.
func TestWebhookApprovesAMembersSignUpOnce(t *testing.T) {
	h := newHarness(t, only("mastodon"))
	ann := h.member(t, "ann")
	acct := h.mastodon.AddPendingSignUp("ann", ann.Email)
	body, sig := h.mastodon.SignedWebhook([]byte(webhookSecret), mastodon.EventAccountCreated, acct.ID)

	if code := h.deliver(t, body, sig); code != http.StatusNoContent {
		t.Fatalf("delivery answered %d", code)
	}
	eventually(t, "account approved and recorded", func() (bool, string) {
		a, _ := h.mastodon.Account(acct.ID)
		rec := h.account(t, ann.ID, "mastodon")
		return a.Approved && rec.State == "active" && rec.RemoteID == acct.ID, describe(rec)
	})
	h.waitJobs(t, "downstream_ensure", 1)

	if code := h.deliver(t, body, sig); code != http.StatusNoContent {
		t.Fatalf("replay answered %d", code)
	}
	if n := len(h.jobsOf(t, "downstream_ensure")); n != 1 {
		t.Errorf("%d ensure jobs after a replay; want the first only", n)
	}
	if n := h.count(t, `SELECT count(*) FROM webhook_deliveries`); n != 1 {
		t.Errorf("%d deliveries recorded; want 1", n)
	}
}

// TestWebhookRefusesABadSignature: nothing is recorded or enqueued.
func TestWebhookRefusesABadSignature(t *testing.T) {
	h := newHarness(t, only("mastodon"), func(s *setup) { s.noWorkers = true })
	ann := h.member(t, "ann")
	acct := h.mastodon.AddPendingSignUp("ann", ann.Email)
	body, _ := h.mastodon.SignedWebhook([]byte("someone else's secret"), mastodon.EventAccountCreated, acct.ID)
	other := "sha256=" + sig256(append(bytes.Clone(body), ' '), webhookSecret) // right secret, another body

	for name, sig := range map[string]string{"wrong secret": "sha256=" + sig256(body, "nope"), "none": "", "garbage": "sha256=zz", "another body's": other} {
		if code := h.deliver(t, body, sig); code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d; want 401", name, code)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM river_job WHERE kind LIKE 'downstream_%' OR kind = 'mastodon_reject'`); n != 0 {
		t.Errorf("%d jobs enqueued by unsigned deliveries", n)
	}
	if n := h.count(t, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Errorf("%d deliveries recorded", n)
	}
}

// TestWebhookIsOffWithoutASecret: the endpoint does not exist.
func TestWebhookIsOffWithoutASecret(t *testing.T) {
	h := newHarness(t, only("mastodon"), func(s *setup) { s.noWorkers = true })
	h.prov.WebhookSecret = nil
	acct := h.mastodon.AddPendingSignUp("ann", "ann@example.org")
	body, sig := h.mastodon.SignedWebhook(nil, mastodon.EventAccountCreated, acct.ID)
	if code := h.deliver(t, body, sig); code != http.StatusNotFound {
		t.Errorf("answered %d; want 404", code)
	}
}

// TestWebhookRejectsAStrangersSignUp, when reject_unknown_pending is on;
// a pending sign-up with a member's username but not their email is a
// stranger's too, and is not approved.
func TestWebhookRejectsAStrangersSignUp(t *testing.T) {
	h := newHarness(t, only("mastodon"), func(s *setup) { s.rejectUnknown = true })
	h.member(t, "ann")
	stranger := h.mastodon.AddPendingSignUp("ann", "impostor@example.net")
	body, sig := h.mastodon.SignedWebhook([]byte(webhookSecret), mastodon.EventAccountCreated, stranger.ID)

	if code := h.deliver(t, body, sig); code != http.StatusNoContent {
		t.Fatalf("answered %d", code)
	}
	h.waitJobs(t, "mastodon_reject", 1)
	if _, ok := h.mastodon.Account(stranger.ID); ok {
		t.Error("the stranger's sign-up is still there")
	}
	if n := len(h.jobsOf(t, "downstream_ensure")); n != 0 {
		t.Errorf("%d ensure jobs for a stranger's sign-up", n)
	}
}

// TestWebhookBindsByUsernameOnlyWithAnEmailTheMemberHad: an approved
// account with a member's username is theirs only if its email is one they
// had (an address they changed in coopgate since); with any other email it
// may be a stranger's, and no job is made for the member.
func TestWebhookBindsByUsernameOnlyWithAnEmailTheMemberHad(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, only("mastodon"))
	ann := h.member(t, "ann")
	bob := h.member(t, "bob")
	err := audit.Record(ctx, h.pool, audit.Actor{PersonID: bob.ID, Label: bob.Email}, audit.Event{Action: "person.email_change",
		SubjectType: "person", SubjectID: bob.ID, Before: map[string]any{"email": "bob@old.example"}, After: map[string]any{"email": bob.Email}})
	if err != nil {
		t.Fatal(err)
	}
	stranger := h.mastodon.AddOIDCLogin("ann", "someone@else.example")
	bobs := h.mastodon.AddOIDCLogin("bob", "bob@old.example")
	for _, id := range []string{stranger.ID, bobs.ID} {
		body, sig := h.mastodon.SignedWebhook([]byte(webhookSecret), mastodon.EventAccountCreated, id)
		if code := h.deliver(t, body, sig); code != http.StatusNoContent {
			t.Fatalf("answered %d", code)
		}
	}
	h.waitJobs(t, "downstream_ensure", 1)
	if a := h.account(t, bob.ID, "mastodon"); a.RemoteID != bobs.ID || a.State != "active" {
		t.Errorf("bob's record %+v; want his account under his former email", a)
	}
	if a := h.account(t, ann.ID, "mastodon"); a.RemoteID != "" {
		t.Errorf("ann's record %+v; want nothing bound to the stranger's account", a)
	}
}

// TestPollApprovesMembersAndRejectsStrangers: the fallback for missed
// webhooks finds pending sign-ups itself.
func TestPollApprovesMembersAndRejectsStrangers(t *testing.T) {
	h := newHarness(t, only("mastodon"), func(s *setup) { s.rejectUnknown = true })
	ann := h.member(t, "ann")
	member := h.mastodon.AddPendingSignUp("ann", ann.Email)
	stranger := h.mastodon.AddPendingSignUp("mallory", "mallory@example.net")

	if _, err := h.jobs.Insert(context.Background(), provisioning.PollArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	h.waitJobs(t, "mastodon_poll", 1)
	h.waitJobs(t, "downstream_ensure", 1)
	if a, _ := h.mastodon.Account(member.ID); !a.Approved {
		t.Errorf("the member's sign-up is not approved: %+v", a)
	}
	if _, ok := h.mastodon.Account(stranger.ID); ok {
		t.Error("the stranger's sign-up is still there")
	}
	if rec := h.account(t, ann.ID, "mastodon"); rec.State != "active" {
		t.Errorf("record %+v; want active", rec)
	}
}

// TestPollJobOnlyWithMastodon: without Mastodon there is nothing to poll.
func TestPollJobOnlyWithMastodon(t *testing.T) {
	without := newHarness(t, only("gitlab"), func(s *setup) { s.noWorkers = true })
	with := newHarness(t, only("mastodon"), func(s *setup) { s.noWorkers = true })
	if without.prov.PollJob(10*time.Minute) != nil || with.prov.PollJob(10*time.Minute) == nil {
		t.Error("want a poll job with Mastodon only")
	}
}

func sig256(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
