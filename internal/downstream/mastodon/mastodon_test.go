package mastodon_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
)

const token = "tok-SECRET-admin-0123456789"

func newClient(t *testing.T, fake *mastodontest.Server, cfg mastodon.Config) *mastodon.Client {
	t.Helper()
	cfg.BaseURL, cfg.Token = fake.URL, cmp.Or(cfg.Token, token)
	c, err := mastodon.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func person(username string) downstream.Person {
	return downstream.Person{Subject: "sub-" + username, Username: username, Email: username + "@example.coop"}
}

func wantAccount(t *testing.T, got downstream.Account, err error, id string, state downstream.State) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if got.RemoteID != id || got.State != state {
		t.Fatalf("got %+v, want {RemoteID:%s State:%s}", got, id, state)
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	a := fake.AddOIDCLogin("ann", "ann@example.coop")
	p := person("ann")

	got, err := c.Ensure(ctx, p)
	wantAccount(t, got, err, a.ID, downstream.StateActive)

	for range 2 { // the second suspension must change nothing
		got, err = c.Suspend(ctx, p, "membership ended")
		wantAccount(t, got, err, a.ID, downstream.StateSuspended)
	}
	if n := fake.Suspensions(a.ID); n != 1 {
		t.Errorf("suspend actions = %d, want 1", n)
	}
	if stored, _ := fake.Account(a.ID); stored.SuspendReason != "membership ended" || stored.SuspendMailed {
		t.Errorf("reason = %q, mailed = %v; want the text given, and no mail to the member", stored.SuspendReason, stored.SuspendMailed)
	}

	got, err = c.Ensure(ctx, p) // Ensure never lifts a suspension
	wantAccount(t, got, err, a.ID, downstream.StateSuspended)

	for range 2 {
		got, err = c.Reinstate(ctx, p)
		wantAccount(t, got, err, a.ID, downstream.StateActive)
	}
	if n := fake.Count(http.MethodPost, "/api/v1/admin/accounts/"+a.ID+"/unsuspend"); n != 1 {
		t.Errorf("unsuspend calls = %d, want 1", n)
	}
}

func TestEnsureApprovesPendingOnce(t *testing.T) {
	ctx := context.Background()
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	a := fake.AddPendingSignUp("bob", "bob@example.coop")

	for range 2 {
		got, err := c.Ensure(ctx, person("bob"))
		wantAccount(t, got, err, a.ID, downstream.StateActive)
	}
	if n := fake.Count(http.MethodPost, "/api/v1/admin/accounts/"+a.ID+"/approve"); n != 1 {
		t.Errorf("approve calls = %d, want 1", n)
	}
	if fake.Accounts() != 1 {
		t.Errorf("accounts = %d, want 1", fake.Accounts())
	}
}

func TestMissingAccountIsNotAnError(t *testing.T) {
	ctx := context.Background()
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	p := person("nobody")
	for name, call := range map[string]func() (downstream.Account, error){
		"ensure":    func() (downstream.Account, error) { return c.Ensure(ctx, p) },
		"suspend":   func() (downstream.Account, error) { return c.Suspend(ctx, p, "x") },
		"reinstate": func() (downstream.Account, error) { return c.Reinstate(ctx, p) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := call()
			wantAccount(t, got, err, "", downstream.StateMissing)
		})
	}
}

// Mastodon's filters are case-insensitive LIKE prefixes ("_" matches any
// character), so the client must pick the exact account among look-alikes.
func TestFindPicksTheExactAccount(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		seed    []mastodontest.Account
		p       downstream.Person
		wantIdx int // index into seed, -1 for missing
	}{
		{"email prefix", []mastodontest.Account{
			{Username: "ann", Email: "ann@example.coop", Approved: true},
			{Username: "annie", Email: "ann@example.coop.uk", Approved: true},
		}, downstream.Person{Username: "ann", Email: "ann@example.coop"}, 0},
		{"underscore is a wildcard", []mastodontest.Account{
			{Username: "a_b", Email: "old@example.org", Approved: true},
			{Username: "axb", Email: "axb@example.org", Approved: true},
		}, downstream.Person{Username: "a_b", Email: "new@example.coop", FormerEmails: []string{"old@example.org"}}, 0},
		{"an email the member had before, found by username", []mastodontest.Account{
			{Username: "cat", Email: "Cat@Old.example", Approved: true},
		}, downstream.Person{Username: "cat", Email: "cat@example.coop", FormerEmails: []string{"x@y.example", "cat@old.example"}}, 0},
		{"case-insensitive", []mastodontest.Account{
			{Username: "Dee", Email: "Dee@Example.coop", Approved: true},
		}, downstream.Person{Username: "dee", Email: "dee@example.coop"}, 0},
		{"only look-alikes", []mastodontest.Account{
			{Username: "evan", Email: "evan@example.coop", Approved: true},
		}, downstream.Person{Username: "eva", Email: "eva@example.coop"}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := mastodontest.NewServer(t, token)
			c := newClient(t, fake, mastodon.Config{})
			var ids []string
			for _, a := range tt.seed {
				ids = append(ids, fake.AddAccount(a).ID)
			}
			got, err := c.Ensure(ctx, tt.p)
			if tt.wantIdx < 0 {
				wantAccount(t, got, err, "", downstream.StateMissing)
				return
			}
			wantAccount(t, got, err, ids[tt.wantIdx], downstream.StateActive)
		})
	}
}

func TestFindFollowsPagination(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	target := fake.AddOIDCLogin("user", "user@example.coop") // oldest: last page
	for i := range 250 {
		fake.AddOIDCLogin(fmt.Sprintf("user%03d", i), fmt.Sprintf("user%03d@example.coop", i))
	}
	got, err := c.Ensure(context.Background(), downstream.Person{Username: "user", Email: "someone@else.example",
		FormerEmails: []string{"user@example.coop"}})
	wantAccount(t, got, err, target.ID, downstream.StateActive)
	if n := fake.Count(http.MethodGet, "/api/v2/admin/accounts"); n < 3 {
		t.Errorf("list calls = %d, want at least 3 (email, then two pages by username)", n)
	}
}

func TestPendingAccountsAndSweep(t *testing.T) {
	ctx := context.Background()
	fake := mastodontest.NewServer(t, token)
	fake.AddOIDCLogin("member", "member@example.coop")
	known := fake.AddPendingSignUp("known", "known@example.coop")
	for i := range 205 {
		fake.AddPendingSignUp(fmt.Sprintf("spam%03d", i), fmt.Sprintf("spam%03d@spam.example", i))
	}
	admitted := func(_ context.Context, email string) (bool, error) { return email == "known@example.coop", nil }

	off := newClient(t, fake, mastodon.Config{})
	pending, err := off.PendingAccounts(ctx)
	if err != nil || len(pending) != 206 {
		t.Fatalf("pending = %d, %v; want 206", len(pending), err)
	}
	if rejected, err := off.SweepPending(ctx, admitted); err != nil || rejected != nil {
		t.Fatalf("sweep with the switch off = %v, %v; want nothing", rejected, err)
	}

	on := newClient(t, fake, mastodon.Config{RejectUnknownPending: true})
	rejected, err := on.SweepPending(ctx, admitted)
	if err != nil || len(rejected) != 205 {
		t.Fatalf("rejected = %d, %v; want 205", len(rejected), err)
	}
	if _, ok := fake.Account(known.ID); !ok || fake.Accounts() != 2 {
		t.Errorf("accounts left = %d (known kept: %v), want member and known", fake.Accounts(), ok)
	}
	if err := on.Reject(ctx, rejected[0].ID); err != nil {
		t.Errorf("rejecting an account already gone: %v", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		setup     func(*mastodontest.Server)
		status    int
		permanent bool
		retry     time.Duration // at least this much, at most two seconds more
		inMessage string
	}{
		{"wrong token", "not-the-token", nil, 401, true, 0, "access token is invalid"},
		{"server error", "", func(f *mastodontest.Server) { f.FailNext(1, 500) }, 500, false, 0, "Internal Server Error"},
		{"unavailable", "", func(f *mastodontest.Server) { f.FailNext(1, 503) }, 503, false, 0, ""},
		{"rate limited", "", func(f *mastodontest.Server) { f.RateLimit(1, 30*time.Second) }, 429, false, 29 * time.Second, "Too many requests"},
		{"down", "", func(f *mastodontest.Server) { f.SetDown(true) }, 0, false, 0, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := mastodontest.NewServer(t, token)
			fake.AddOIDCLogin("ann", "ann@example.coop")
			if tt.setup != nil {
				tt.setup(fake)
			}
			c := newClient(t, fake, mastodon.Config{Token: tt.token})
			_, err := c.Ensure(context.Background(), person("ann"))
			checkError(t, err, tt.status, tt.permanent, tt.retry, tt.inMessage)
		})
	}
}

// TestRefusalsOfTheToken: a 403 says whether the token lacks a scope, its
// user a permission, or the target outranks it, and what to change.
func TestRefusalsOfTheToken(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*mastodontest.Server)
		targetRole string
		kind       downstream.Kind
		want       string
	}{
		{"token without the write scope", func(f *mastodontest.Server) { f.SetTokenScopes("admin:read:accounts") }, "",
			downstream.KindCredentials, "scopes admin:read:accounts and admin:write:accounts"},
		{"token without any admin scope", func(f *mastodontest.Server) { f.SetTokenScopes("read") }, "",
			downstream.KindCredentials, "outside the authorized scopes"},
		{"token user without Manage Users", func(f *mastodontest.Server) { f.SetTokenRole("Moderator", false) }, "",
			downstream.KindCredentials, "Manage Users"},
		{"an Admin's account, an Admin's token", nil, "Admin", downstream.KindRefused, "lower role"},
		{"an Owner's account, an Admin's token", nil, "Owner", downstream.KindRefused, "refused for this account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := mastodontest.NewServer(t, token)
			a := fake.AddAccount(mastodontest.Account{Username: "ann", Email: "ann@example.coop", Confirmed: true, Approved: true, Role: tt.targetRole})
			if tt.setup != nil {
				tt.setup(fake)
			}
			_, err := newClient(t, fake, mastodon.Config{}).Suspend(context.Background(), person("ann"), "x")
			var de *downstream.Error
			if !errors.As(err, &de) || de.Status != http.StatusForbidden || de.Kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want a 403 of kind %d saying %q", err, tt.kind, tt.want)
			}
			if got, _ := fake.Account(a.ID); got.Suspended {
				t.Error("suspended all the same")
			}
		})
	}
	fake := mastodontest.NewServer(t, token)
	a := fake.AddAccount(mastodontest.Account{Username: "mod", Email: "mod@example.coop", Confirmed: true, Approved: true, Role: "Moderator"})
	if got, err := newClient(t, fake, mastodon.Config{}).Suspend(context.Background(), person("mod"), "x"); err != nil || got.State != downstream.StateSuspended {
		t.Errorf("an Admin suspending a Moderator: %+v, %v", got, err)
	}
	if fake.Strikes(a.ID) != 1 {
		t.Errorf("%d strikes; Mastodon records one per action", fake.Strikes(a.ID))
	}
}

// Suspend says what it found, so coopgate records only the suspensions it made.
func TestSuspendReportsTheStateBefore(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	fake.AddAccount(mastodontest.Account{Username: "ann", Email: "ann@example.coop", Confirmed: true, Approved: true})
	fake.AddAccount(mastodontest.Account{Username: "bob", Email: "bob@example.coop", Confirmed: true, Approved: true, Suspended: true})
	fake.AddAccount(mastodontest.Account{Username: "cy", Email: "cy@example.coop", Confirmed: true})
	for username, want := range map[string]downstream.State{"ann": downstream.StateActive, "bob": downstream.StateSuspended, "cy": downstream.StatePending} {
		got, err := c.Suspend(context.Background(), person(username), "x")
		if err != nil || got.Before != want || got.State != downstream.StateSuspended {
			t.Errorf("%s: %+v, %v; want suspended, found %s", username, got, err, want)
		}
	}
}

// go-mastodon sleeps and retries a 429 by itself; the client must instead
// return at once with the wait Mastodon asked for.
func TestRateLimitThroughGoMastodonReturnsAtOnce(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	a := fake.AddPendingSignUp("spam", "spam@spam.example")
	c := newClient(t, fake, mastodon.Config{})
	fake.RateLimit(5, 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err := c.Reject(ctx, a.ID)
	if time.Since(start) > 500*time.Millisecond {
		t.Errorf("Reject took %v: something slept on the 429", time.Since(start))
	}
	checkError(t, err, 429, false, 19*time.Second, "")
	if n := fake.Count(http.MethodPost, "/api/v1/admin/accounts/"+a.ID+"/reject"); n != 1 {
		t.Errorf("reject requests = %d, want 1", n)
	}
}

func TestCancelledContext(t *testing.T) {
	fake := mastodontest.NewServer(t, token)
	c := newClient(t, fake, mastodon.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Ensure(ctx, person("ann"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want it to wrap context.Canceled", err)
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []mastodon.Config{
		{BaseURL: "social.example.coop", Token: token},
		{BaseURL: "https://social.example.coop/?x=1", Token: token},
		{BaseURL: "https://social.example.coop"},
	} {
		if _, err := mastodon.New(cfg, nil); err == nil {
			t.Errorf("New(%+v) accepted a bad config", cfg)
		} else if strings.Contains(err.Error(), token) {
			t.Errorf("error leaks the token: %v", err)
		}
	}
}

func checkError(t *testing.T, err error, status int, permanent bool, retry time.Duration, inMessage string) {
	t.Helper()
	var de *downstream.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v (%T), want *downstream.Error", err, err)
	}
	if de.Status != status || de.Permanent() != permanent {
		t.Errorf("status %d permanent %v, want %d %v (%v)", de.Status, de.Permanent(), status, permanent, err)
	}
	if got := de.RetryAfter(); (retry == 0 && got != 0) || got < retry || got > retry+2*time.Second {
		t.Errorf("RetryAfter = %v, want about %v", got, retry)
	}
	if !strings.Contains(err.Error(), inMessage) {
		t.Errorf("message %q does not say %q", err.Error(), inMessage)
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "example.coop") {
		t.Errorf("message leaks a credential or an address: %q", err.Error())
	}
}

// An account found by the member's username, with an email the member
// never had, may be a stranger's: whether pending or approved, no ensure,
// suspension or reinstatement may act on it, and the secretary is told it
// is a conflict to look at.
func TestAnAccountWithTheMembersUsernameButAnotherEmailIsAConflict(t *testing.T) {
	ctx := context.Background()
	for _, approved := range []bool{false, true} {
		t.Run(fmt.Sprintf("approved=%v", approved), func(t *testing.T) {
			fake := mastodontest.NewServer(t, token)
			c := newClient(t, fake, mastodon.Config{})
			a := fake.AddAccount(mastodontest.Account{Username: "bob", Email: "impostor@elsewhere.example", Confirmed: true, Approved: approved})
			p := person("bob")
			p.FormerEmails = []string{"bob@old.example"}
			for op, call := range map[string]func() (downstream.Account, error){
				"ensure":    func() (downstream.Account, error) { return c.Ensure(ctx, p) },
				"suspend":   func() (downstream.Account, error) { return c.Suspend(ctx, p, "x") },
				"reinstate": func() (downstream.Account, error) { return c.Reinstate(ctx, p) },
			} {
				_, err := call()
				var de *downstream.Error
				if !errors.As(err, &de) || !de.Permanent() || de.Kind != downstream.KindConflict || !strings.Contains(err.Error(), "Retry") {
					t.Errorf("%s = %v; want a permanent conflict telling the secretary what to do", op, err)
				}
			}
			if got, _ := fake.Account(a.ID); got.Approved != approved || got.Suspended || len(fake.Calls()) != 6 {
				t.Errorf("the stranger's account was touched: %+v, calls %v", got, fake.Calls())
			}
		})
	}
}
