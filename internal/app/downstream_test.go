package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/downstream/discourse/discoursetest"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/people"
)

const testWebhookSecret = "test-webhook-secret"

func withMastodon(fake *mastodontest.Server, secret string) apptest.Option {
	return func(c *config.Config) {
		c.Downstream.Mastodon = config.Mastodon{Enabled: true, BaseURL: fake.URL, Token: fake.Token, WebhookSecret: secret}
	}
}

func postWebhook(t *testing.T, g *apptest.Gateway, body []byte, signature string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/webhooks/mastodon", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(mastodon.WebhookSignatureHeader, signature)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestMastodonWebhookThroughTheGateway: the route is outside sessions and
// CSRF, refuses a bad signature without doing anything, approves an
// admitted member's sign-up through the gateway's own job workers, and
// handles a replay once.
func TestMastodonWebhookThroughTheGateway(t *testing.T) {
	t.Parallel()
	fake := mastodontest.NewServer(t, "mastodon-token")
	g := apptest.Start(t, withMastodon(fake, testWebhookSecret))
	ann := g.CreatePerson(t, "ann@example.coop", "ann", people.Admitted)
	// Her enrolment's own ensure finds no Mastodon account yet.
	waitFor(t, "the enrolment's ensure done", func() bool {
		return g.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'downstream_ensure' AND state = 'completed'") == 1
	})
	acct := fake.AddPendingSignUp("ann", ann.Email)
	body, sig := fake.SignedWebhook([]byte(testWebhookSecret), mastodon.EventAccountCreated, acct.ID)

	_, forged := fake.SignedWebhook([]byte("not the secret"), mastodon.EventAccountCreated, acct.ID)
	if code := postWebhook(t, g, body, forged); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d; want 401", code)
	}
	if n := g.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'downstream_ensure'"); n != 1 {
		t.Fatalf("%d jobs after a refused delivery; want only the enrolment's", n)
	}
	if code := postWebhook(t, g, body, sig); code != http.StatusNoContent {
		t.Fatalf("delivery: %d", code)
	}
	waitFor(t, "the sign-up approved and the job finished", func() bool {
		a, _ := fake.Account(acct.ID)
		return a.Approved && g.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'downstream_ensure' AND state = 'completed'") == 2
	})
	if code := postWebhook(t, g, body, sig); code != http.StatusNoContent {
		t.Fatalf("replay: %d", code)
	}
	if n := g.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'downstream_ensure'"); n != 2 {
		t.Errorf("%d ensure jobs after a replay; want 2 (the enrolment's and the delivery's)", n)
	}
}

func TestMastodonWebhookWithoutASecretIsNotThere(t *testing.T) {
	t.Parallel()
	fake := mastodontest.NewServer(t, "mastodon-token")
	g := apptest.Start(t, withMastodon(fake, ""))
	body, sig := fake.SignedWebhook(nil, mastodon.EventAccountCreated, "1")
	if code := postWebhook(t, g, body, sig); code != http.StatusNotFound {
		t.Errorf("answered %d; want 404", code)
	}
}

// TestDownstreamAdminPage: only secretaries see the accounts that need a
// look; Retry syncs one again once its cause is fixed, and an account held
// by a Discourse setting goes again when the secretary says it is changed.
func TestDownstreamAdminPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	forum := discoursetest.NewServer(t, "forum-key", "system")
	forum.SetMaxUsernameLength(5) // "secretary" is refused while this holds
	forum.FailPath(http.MethodPost, "/users.json", 1, http.StatusBadRequest)
	g := apptest.Start(t, func(c *config.Config) {
		c.Downstream.Discourse = config.Discourse{Enabled: true, BaseURL: forum.URL, APIKey: "forum-key", APIUsername: "system"}
	})
	// Enrolling them enqueues their forum accounts, as any admission does.
	member := g.CreatePerson(t, "bob@example.coop", "bobby", people.Admitted)
	sec := g.CreatePerson(t, "sec@example.coop", "secretary", people.Admitted, people.RoleSecretary)
	waitFor(t, "bobby's refusal and the secretary's hold recorded", func() bool {
		return accountState(ctx, g, member.ID) == "failed" && accountState(ctx, g, sec.ID) == "needs_setting"
	})

	if resp, _ := apptest.Get(t, apptest.Browser(t), g.URL+"/admin/downstream"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous: %d; want a redirect to log in", resp.StatusCode)
	}
	asMember := apptest.Browser(t)
	apptest.LogIn(t, asMember, g.URL, g.URL+"/login", member.Email, member.Password)
	if resp, _ := apptest.Get(t, asMember, g.URL+"/admin/downstream"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member: %d; want 403", resp.StatusCode)
	}

	browser := apptest.Browser(t)
	apptest.LogIn(t, browser, g.URL, g.URL+"/login", sec.Email, sec.Password)
	resp, body := apptest.Get(t, browser, g.URL+"/admin/downstream")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "bobby") || !strings.Contains(body, "HTTP 400") ||
		!strings.Contains(body, "max_username_length to 30") {
		t.Fatalf("secretary's list: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = apptest.Submit(t, browser, g.URL+"/admin/downstream", body, "/admin/downstream/retry",
		url.Values{"person_id": {member.ID}, "service": {"discourse"}})
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Path != "/admin/downstream" {
		t.Fatalf("retry: %d %v", resp.StatusCode, loc)
	}
	waitFor(t, "bobby's account synced after the retry", func() bool { return accountState(ctx, g, member.ID) == "active" })

	forum.SetMaxUsernameLength(30)
	resp, _ = apptest.Submit(t, browser, g.URL+"/admin/downstream", body, "/admin/downstream/retry-held", nil)
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("released") != "1" {
		t.Fatalf("retry held: %d %v", resp.StatusCode, loc)
	}
	waitFor(t, "the held account synced", func() bool { return accountState(ctx, g, sec.ID) == "active" })
	if _, body = apptest.Get(t, browser, g.URL+"/admin/downstream"); strings.Contains(body, "bobby") || strings.Contains(body, "held accounts again") {
		t.Errorf("synced accounts are still listed:\n%s", body)
	}
	for action, want := range map[string]int{"downstream.retry": 1, "downstream.retry_held": 1} {
		if n := g.Count(t, "SELECT count(*) FROM audit_events WHERE action = '"+action+"' AND actor_id = '"+sec.ID+"'"); n != want {
			t.Errorf("%d %s audit events by the secretary; want %d", n, action, want)
		}
	}
	// The admin person page shows the same record.
	u, _ := forum.UserBySubject(member.ID)
	_, body = apptest.Get(t, browser, g.URL+"/admin/people/"+member.ID)
	if !strings.Contains(body, `<td>discourse</td><td><span class="badge active">active</span></td><td>`+strconv.Itoa(u.ID)+`</td>`) {
		t.Errorf("person page does not show the synced forum account:\n%s", body)
	}
}

func accountState(ctx context.Context, g *apptest.Gateway, personID string) string {
	accts, _ := provisioning.Accounts(ctx, g.App.Pool, personID)
	if len(accts) != 1 {
		return ""
	}
	return accts[0].State
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}
