package discourse_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/discourse"
	"github.com/coopgate/coopgate/internal/downstream/discourse/discoursetest"
)

const (
	apiKey      = "key-SECRET-0123456789abcdef"
	apiUsername = "system"
)

func setup(t *testing.T, groupMap map[string]string) (*discoursetest.Server, *discourse.Client) {
	t.Helper()
	fake := discoursetest.NewServer(t, apiKey, apiUsername)
	c, err := discourse.New(discourse.Config{BaseURL: fake.URL, APIKey: apiKey, APIUsername: apiUsername, GroupMap: groupMap}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func person(username string, groups ...string) downstream.Person {
	return downstream.Person{Subject: "sub-" + username, Username: username, Email: username + "@example.coop", Name: "Member " + username, Groups: groups}
}

func wantAccount(t *testing.T, got downstream.Account, err error, id int, state downstream.State) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	want := ""
	if id != 0 {
		want = strconv.Itoa(id)
	}
	if got.RemoteID != want || got.State != state {
		t.Fatalf("got %+v, want {RemoteID:%s State:%s}", got, want, state)
	}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, map[string]string{"member": "members", "worker": "workers"})
	fake.AddGroup("members")
	fake.AddGroup("workers")
	p := person("ann", "member", "worker", "unmapped")

	got, err := c.Ensure(ctx, p)
	u, ok := fake.UserBySubject(p.Subject)
	if !ok {
		t.Fatal("no user linked to the member's sub")
	}
	wantAccount(t, got, err, u.ID, downstream.StateActive)
	if u.Username != "ann" || u.Email != "ann@example.coop" || u.Name != "Member ann" || !u.Active || !u.Approved {
		t.Errorf("created %+v", u)
	}

	got, err = c.Ensure(ctx, p) // idempotent: one user, no second group add
	wantAccount(t, got, err, u.ID, downstream.StateActive)
	if fake.Users() != 1 || fake.Count(http.MethodPost, "/users.json") != 1 {
		t.Errorf("users = %d, creates = %d; want 1 and 1", fake.Users(), fake.Count(http.MethodPost, "/users.json"))
	}
	for _, g := range []string{"members", "workers"} {
		if m := fake.GroupMembers(g); !slices.Equal(m, []string{"ann"}) {
			t.Errorf("%s members = %v", g, m)
		}
	}

	for range 2 {
		got, err = c.Suspend(ctx, p, "Membership ended")
		wantAccount(t, got, err, u.ID, downstream.StateSuspended)
	}
	if fake.Suspensions(u.ID) != 1 || fake.LogOuts(u.ID) != 2 {
		t.Errorf("suspensions = %d, log-outs = %d; want 1 and 2", fake.Suspensions(u.ID), fake.LogOuts(u.ID))
	}
	if n := fake.Count(http.MethodPut, "/admin/users/"+strconv.Itoa(u.ID)+"/suspend.json"); n != 1 {
		t.Errorf("suspend calls = %d, want 1", n)
	}
	got, err = c.Ensure(ctx, p)
	wantAccount(t, got, err, u.ID, downstream.StateSuspended)

	for range 2 {
		got, err = c.Reinstate(ctx, p)
		wantAccount(t, got, err, u.ID, downstream.StateActive)
	}
	if n := fake.Count(http.MethodPut, "/admin/users/"+strconv.Itoa(u.ID)+"/unsuspend.json"); n != 1 {
		t.Errorf("unsuspend calls = %d, want 1", n)
	}
}

func TestEnsureExistingUsers(t *testing.T) {
	tests := []struct {
		name        string
		seed        discoursetest.User
		mustApprove bool
		wantCalls   []string // admin actions expected, besides reads
	}{
		{"linked, pending approval", discoursetest.User{Active: true}, true, []string{"approve"}},
		{"linked, not activated", discoursetest.User{}, true, []string{"activate", "approve"}},
		{"linked, approval off", discoursetest.User{Active: true}, false, nil},
		{"unlinked, same email", discoursetest.User{Active: true, Approved: true, ExternalIDs: map[string]string{}}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, nil)
			fake.SetMustApproveUsers(tt.mustApprove)
			p := person("bob")
			seed := tt.seed
			seed.Username, seed.Email = "bob", p.Email
			if seed.ExternalIDs == nil {
				seed.ExternalIDs = map[string]string{"oidc": p.Subject}
			}
			u := fake.AddUser(seed)

			got, err := c.Ensure(context.Background(), p)
			wantAccount(t, got, err, u.ID, downstream.StateActive)
			if linked, _ := fake.UserBySubject(p.Subject); linked.ID != u.ID || fake.Users() != 1 {
				t.Errorf("linked user %d, users %d; want %d and 1", linked.ID, fake.Users(), u.ID)
			}
			for _, action := range []string{"activate", "approve"} {
				want := slices.Contains(tt.wantCalls, action)
				if n := fake.Count(http.MethodPut, "/admin/users/"+strconv.Itoa(u.ID)+"/"+action+".json"); (n == 1) != want || n > 1 {
					t.Errorf("%s calls = %d, want it called: %v", action, n, want)
				}
			}
		})
	}
}

// TestEnsureRefusals: each refusal Discourse gives a new user is told apart
// (a setting that holds the account, a conflict, a username rule) and says
// what to change.
func TestEnsureRefusals(t *testing.T) {
	tests := []struct {
		name    string
		seed    func(*discoursetest.Server)
		p       downstream.Person
		kind    downstream.Kind
		message string
	}{
		{"email linked to another sub", func(f *discoursetest.Server) {
			f.AddUser(discoursetest.User{Username: "cat", Email: "cat@example.coop", Active: true, Approved: true, ExternalIDs: map[string]string{"oidc": "someone-else"}})
		}, person("cat"), downstream.KindUnknown, "linked to another coopgate account"},
		{"username Discourse forbids", nil, person("dee_"), downstream.KindRefused, "must end with a letter or a number"},
		{"username too long for Discourse", nil, person("a_rather_long_member_name"), downstream.KindSetting, "max_username_length to 30"},
		{"username too short for Discourse", nil, person("jo"), downstream.KindSetting, "min_username_length to 1"},
		{"username taken by someone else", func(f *discoursetest.Server) {
			f.AddUser(discoursetest.User{Username: "eve", Email: "other@example.org", Active: true, Approved: true})
		}, person("eve"), downstream.KindConflict, "Username must be unique"},
		{"registrations closed", func(f *discoursetest.Server) { f.SetAllowNewRegistrations(false) },
			person("fay"), downstream.KindSetting, "allow_new_registrations"},
		{"a name in reserved_usernames", func(f *discoursetest.Server) { f.SetReservedUsernames("admin|gu*") },
			person("gus"), downstream.KindSetting, "reserved_usernames"},
		{"mapped group missing", nil, person("hal", "member"), downstream.KindUnknown, "group_map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, map[string]string{"member": "members"})
			if tt.seed != nil {
				tt.seed(fake)
			}
			_, err := c.Ensure(context.Background(), tt.p)
			var de *downstream.Error
			if !errors.As(err, &de) || !de.Permanent() || de.Kind != tt.kind || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v (kind %v); want a permanent error of kind %d saying %q", err, de, tt.kind, tt.message)
			}
		})
	}
}

// TestNewAccountsPerIPLimit: Discourse refuses the fourth trust-level-0 user
// from one address, and every user coopgate creates comes from coopgate's
// address. The refusal holds the account and names both fixes; either fix
// lets the next try through.
func TestNewAccountsPerIPLimit(t *testing.T) {
	for _, fix := range []struct {
		name  string
		apply func(*discoursetest.Server)
	}{
		{"coopgate's address allowed under Screened IPs", func(f *discoursetest.Server) { f.AllowIP("127.0.0.1") }},
		{"the limit set to 0", func(f *discoursetest.Server) { f.SetMaxNewAccountsPerIP(0) }},
	} {
		t.Run(fix.name, func(t *testing.T) {
			ctx := context.Background()
			fake, c := setup(t, nil)
			for _, name := range []string{"ann", "bob", "cat"} {
				if _, err := c.Ensure(ctx, person(name)); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			_, err := c.Ensure(ctx, person("dan"))
			var de *downstream.Error
			if !errors.As(err, &de) || !de.Held() || !strings.Contains(err.Error(), "maximum limit reached") ||
				!strings.Contains(err.Error(), "Screened IPs") || !strings.Contains(err.Error(), "max_new_accounts_per_registration_ip to 0") {
				t.Fatalf("fourth user: %v; want a refusal held by the setting, naming both fixes", err)
			}
			fix.apply(fake)
			if got, err := c.Ensure(ctx, person("dan")); err != nil || got.State != downstream.StateActive {
				t.Fatalf("after the fix: %+v, %v", got, err)
			}
		})
	}
}

// A moderator's or admin's account is not Discourse's to suspend: the
// refusal says it is this account's rank, not coopgate's key.
func TestSuspendingStaffIsRefusedForThatAccount(t *testing.T) {
	fake, c := setup(t, nil)
	p := person("max")
	fake.AddUser(discoursetest.User{Username: "max", Email: p.Email, Active: true, Approved: true, Moderator: true,
		ExternalIDs: map[string]string{"oidc": p.Subject}})
	_, err := c.Suspend(context.Background(), p, "x")
	var de *downstream.Error
	if !errors.As(err, &de) || de.Kind != downstream.KindRefused || !strings.Contains(err.Error(), "refused for this account") ||
		!strings.Contains(err.Error(), "staff role") {
		t.Fatalf("err = %v; want refused for this account, naming the staff role", err)
	}
}

func TestGroupAlreadyJoinedIsNotAddedAgain(t *testing.T) {
	fake, c := setup(t, map[string]string{"member": "members"})
	fake.AddGroup("members")
	p := person("gus", "member")
	if _, err := c.Ensure(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	fake.ResetCalls()
	if _, err := c.Ensure(context.Background(), p); err != nil {
		t.Fatalf("second Ensure: %v", err)
	}
	for _, call := range fake.Calls() {
		if strings.HasSuffix(call.Path, "/members.json") {
			t.Errorf("group add repeated: %+v", call)
		}
	}
}

// Discourse compares group names ignoring case, so group_map may name the
// group "Members" as "members": the second sync must see the user is in it
// (and an add that Discourse answers "already a member" is no failure).
func TestGroupNamesIgnoreCase(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, map[string]string{"member": "members"})
	fake.AddGroup("Members")
	p := person("gil", "member")
	for i := range 2 {
		if _, err := c.Ensure(ctx, p); err != nil {
			t.Fatalf("Ensure %d: %v", i+1, err)
		}
	}
	if got := fake.GroupMembers("Members"); !slices.Equal(got, []string{"gil"}) {
		t.Errorf("Members = %v", got)
	}
	if n := fake.Count(http.MethodPut, "/groups/"+strconv.Itoa(fake.GroupID("members"))+"/members.json"); n != 1 {
		t.Errorf("%d group adds; want 1", n)
	}
}

// A log-out that failed after the suspension went through must be done by
// the retry, or the member keeps a live session.
func TestSuspendRetryFinishesTheLogOut(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, nil)
	p := person("hal")
	got, err := c.Ensure(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	fake.FailPath(http.MethodPost, "/admin/users/"+got.RemoteID+"/log_out.json", 1, http.StatusBadGateway)

	_, err = c.Suspend(ctx, p, "")
	var de *downstream.Error
	if !errors.As(err, &de) || de.Permanent() {
		t.Fatalf("first Suspend: err = %v, want a temporary error", err)
	}
	id, _ := strconv.Atoi(got.RemoteID)
	got, err = c.Suspend(ctx, p, "")
	wantAccount(t, got, err, id, downstream.StateSuspended)
	if fake.Suspensions(id) != 1 || fake.LogOuts(id) != 1 {
		t.Errorf("suspensions = %d, log-outs = %d; want 1 and 1", fake.Suspensions(id), fake.LogOuts(id))
	}
	if u, _ := fake.User(id); u.SuspendReason == "" {
		t.Error("an empty reason was sent; Discourse requires one")
	}
}

func TestMissingUser(t *testing.T) {
	_, c := setup(t, nil)
	p := person("ivy")
	got, err := c.Suspend(context.Background(), p, "x")
	wantAccount(t, got, err, 0, downstream.StateMissing)
	got, err = c.Reinstate(context.Background(), p)
	wantAccount(t, got, err, 0, downstream.StateMissing)
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		key       string
		setup     func(*discoursetest.Server)
		status    int
		permanent bool
		retry     time.Duration
		message   string
	}{
		{"bad api key", "wrong-key", nil, 403, true, 0, "The API username or key is invalid. To fix: check downstream.discourse.api_key"},
		{"server error", apiKey, func(f *discoursetest.Server) { f.FailNext(1, 500) }, 500, false, 0, "Internal Server Error"},
		{"bad gateway", apiKey, func(f *discoursetest.Server) { f.FailNext(1, 502) }, 502, false, 0, "Bad Gateway"},
		{"rate limited", apiKey, func(f *discoursetest.Server) { f.RateLimit(1, 17*time.Second) }, 429, false, 17 * time.Second, "too many times"},
		{"down", apiKey, func(f *discoursetest.Server) { f.SetDown(true) }, 0, false, 0, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := discoursetest.NewServer(t, apiKey, apiUsername)
			if tt.setup != nil {
				tt.setup(fake)
			}
			c, err := discourse.New(discourse.Config{BaseURL: fake.URL, APIKey: tt.key, APIUsername: apiUsername}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Ensure(context.Background(), person("jo"))
			var de *downstream.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *downstream.Error", err, err)
			}
			if de.Status != tt.status || de.Permanent() != tt.permanent || de.RetryAfter() != tt.retry {
				t.Errorf("status %d permanent %v retry %v; want %d %v %v", de.Status, de.Permanent(), de.RetryAfter(), tt.status, tt.permanent, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.message) || strings.Contains(err.Error(), apiKey) || strings.Contains(err.Error(), "wrong-key") {
				t.Errorf("message %q: want %q and no key", err.Error(), tt.message)
			}
			if fake.Users() != 0 {
				t.Errorf("a user was created despite the failure")
			}
		})
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, cfg := range []discourse.Config{
		{BaseURL: "https://forum.example.coop", APIUsername: "system"},
		{BaseURL: "https://forum.example.coop", APIKey: apiKey},
		{BaseURL: "forum.example.coop", APIKey: apiKey, APIUsername: "system"},
	} {
		if _, err := discourse.New(cfg, nil); err == nil {
			t.Errorf("New(%+v) accepted a bad config", cfg)
		}
	}
}
