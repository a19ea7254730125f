package gitlab_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
	"github.com/coopgate/coopgate/internal/downstream/gitlab"
	"github.com/coopgate/coopgate/internal/downstream/gitlab/gitlabtest"
)

const token = "glpat-SECRET-0123456789"

func setup(t *testing.T, provider string) (*gitlabtest.Server, *gitlab.Client) {
	t.Helper()
	fake := gitlabtest.NewServer(t, token)
	c, err := gitlab.New(gitlab.Config{BaseURL: fake.URL, Token: token, Provider: provider}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

func person(username string) downstream.Person {
	return downstream.Person{Subject: "sub-" + username, Username: username, Email: username + "@example.coop", Name: "Member " + username}
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

func path(id int, verb string) string { return "/api/v4/users/" + strconv.Itoa(id) + "/" + verb }

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "")
	p := person("ann")

	got, err := c.Ensure(ctx, p)
	u, ok := fake.UserBySubject(p.Subject)
	if !ok {
		t.Fatal("no user linked to the member's sub")
	}
	wantAccount(t, got, err, u.ID, downstream.StateActive)
	if u.Username != "ann" || u.Email != p.Email || u.Name != p.Name || !u.Confirmed {
		t.Errorf("created %+v", u)
	}

	got, err = c.Ensure(ctx, p)
	wantAccount(t, got, err, u.ID, downstream.StateActive)
	if fake.Users() != 1 || fake.Count(http.MethodPost, "/api/v4/users") != 1 {
		t.Errorf("users = %d, creates = %d; want 1 and 1", fake.Users(), fake.Count(http.MethodPost, "/api/v4/users"))
	}

	for range 2 {
		got, err = c.Suspend(ctx, p, "membership ended")
		wantAccount(t, got, err, u.ID, downstream.StateSuspended)
	}
	if fake.Blocks(u.ID) != 1 || fake.Count(http.MethodPost, path(u.ID, "block")) != 1 {
		t.Errorf("blocks = %d, block calls = %d; want 1 and 1", fake.Blocks(u.ID), fake.Count(http.MethodPost, path(u.ID, "block")))
	}
	got, err = c.Ensure(ctx, p) // Ensure never unblocks
	wantAccount(t, got, err, u.ID, downstream.StateSuspended)

	for range 2 {
		got, err = c.Reinstate(ctx, p)
		wantAccount(t, got, err, u.ID, downstream.StateActive)
	}
	if n := fake.Count(http.MethodPost, path(u.ID, "unblock")); n != 1 {
		t.Errorf("unblock calls = %d, want 1", n)
	}
}

func TestEnsureExistingUsers(t *testing.T) {
	tests := []struct {
		name      string
		seed      func(*gitlabtest.Server, downstream.Person) gitlabtest.User
		wantState downstream.State
		approve   int
		link      int
	}{
		{"pending after an OIDC login", func(f *gitlabtest.Server, p downstream.Person) gitlabtest.User {
			return f.AddPendingOIDCUser(p.Username, p.Email, p.Subject)
		}, downstream.StateActive, 1, 0},
		{"same username and email, not linked", func(f *gitlabtest.Server, p downstream.Person) gitlabtest.User {
			return f.AddUser(gitlabtest.User{Username: p.Username, Email: strings.ToUpper(p.Email), Name: "Old"})
		}, downstream.StateActive, 0, 1},
		{"linked and banned by a moderator", func(f *gitlabtest.Server, p downstream.Person) gitlabtest.User {
			return f.AddUser(gitlabtest.User{Username: p.Username, Email: p.Email, State: "banned",
				Identities: []gitlabtest.Identity{{Provider: "openid_connect", ExternUID: p.Subject}}})
		}, downstream.StateSuspended, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, "")
			p := person("bob")
			u := tt.seed(fake, p)
			for range 2 {
				got, err := c.Ensure(context.Background(), p)
				wantAccount(t, got, err, u.ID, tt.wantState)
			}
			if linked, _ := fake.UserBySubject(p.Subject); linked.ID != u.ID || fake.Users() != 1 {
				t.Errorf("linked user %d of %d; want %d of 1", linked.ID, fake.Users(), u.ID)
			}
			if n := fake.Count(http.MethodPost, path(u.ID, "approve")); n != tt.approve {
				t.Errorf("approve calls = %d, want %d", n, tt.approve)
			}
			if n := fake.Count(http.MethodPut, "/api/v4/users/"+strconv.Itoa(u.ID)); n != tt.link {
				t.Errorf("link calls = %d, want %d", n, tt.link)
			}
		})
	}
}

func TestEnsureRefusals(t *testing.T) {
	tests := []struct {
		name    string
		seed    gitlabtest.User
		status  int
		message string
	}{
		{"username taken, other email", gitlabtest.User{Username: "cat", Email: "cat@elsewhere.example"}, http.StatusOK, "exists with another email"},
		{"username linked to another sub", gitlabtest.User{Username: "cat", Email: "cat@example.coop",
			Identities: []gitlabtest.Identity{{Provider: "openid_connect", ExternUID: "someone-else"}}}, http.StatusOK, "linked to another coopgate account"},
		{"email taken by another username", gitlabtest.User{Username: "kitty", Email: "cat@example.coop"}, http.StatusConflict, "Email has already been taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, "")
			fake.AddUser(tt.seed)
			_, err := c.Ensure(context.Background(), person("cat"))
			var de *downstream.Error
			if !errors.As(err, &de) || !de.Permanent() || de.Status != tt.status || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want a permanent error (HTTP %d) saying %q", err, tt.status, tt.message)
			}
		})
	}
}

func TestReinstateLeavesOtherBlocksAlone(t *testing.T) {
	for _, state := range []string{"banned", "ldap_blocked"} {
		t.Run(state, func(t *testing.T) {
			fake, c := setup(t, "")
			p := person("dan")
			u := fake.AddUser(gitlabtest.User{Username: p.Username, Email: p.Email, State: state,
				Identities: []gitlabtest.Identity{{Provider: "openid_connect", ExternUID: p.Subject}}})
			got, err := c.Suspend(context.Background(), p, "x")
			wantAccount(t, got, err, u.ID, downstream.StateSuspended)
			got, err = c.Reinstate(context.Background(), p)
			wantAccount(t, got, err, u.ID, downstream.StateSuspended)
			if n := fake.Count(http.MethodPost, path(u.ID, "block")) + fake.Count(http.MethodPost, path(u.ID, "unblock")); n != 0 {
				t.Errorf("block/unblock calls = %d, want 0", n)
			}
		})
	}
}

func TestCustomProvider(t *testing.T) {
	fake, c := setup(t, "coopgate")
	p := person("eli")
	got, err := c.Ensure(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := fake.User(mustAtoi(t, got.RemoteID))
	if len(u.Identities) != 1 || u.Identities[0] != (gitlabtest.Identity{Provider: "coopgate", ExternUID: p.Subject}) {
		t.Errorf("identities = %+v", u.Identities)
	}
	if _, err := c.Ensure(context.Background(), p); err != nil || fake.Users() != 1 {
		t.Errorf("second Ensure: %v, users = %d", err, fake.Users())
	}
}

func TestMissingUser(t *testing.T) {
	_, c := setup(t, "")
	got, err := c.Suspend(context.Background(), person("fin"), "x")
	wantAccount(t, got, err, 0, downstream.StateMissing)
	got, err = c.Reinstate(context.Background(), person("fin"))
	wantAccount(t, got, err, 0, downstream.StateMissing)
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		setup     func(*gitlabtest.Server)
		status    int
		permanent bool
		retry     time.Duration
		message   string
	}{
		{"bad token", "glpat-wrong", nil, 401, true, 0, "401 Unauthorized"},
		{"server error", token, func(f *gitlabtest.Server) { f.FailNext(1, 500) }, 500, false, 0, "500 Internal Server Error"},
		{"workhorse 502", token, func(f *gitlabtest.Server) { f.FailNext(1, 502) }, 502, false, 0, "Bad Gateway"},
		{"rate limited", token, func(f *gitlabtest.Server) { f.RateLimit(1, 42*time.Second) }, 429, false, 42 * time.Second, "Retry later"},
		{"down", token, func(f *gitlabtest.Server) { f.SetDown(true) }, 0, false, 0, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := gitlabtest.NewServer(t, token)
			if tt.setup != nil {
				tt.setup(fake)
			}
			c, err := gitlab.New(gitlab.Config{BaseURL: fake.URL, Token: tt.token}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Ensure(context.Background(), person("gil"))
			var de *downstream.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v (%T), want *downstream.Error", err, err)
			}
			if de.Status != tt.status || de.Permanent() != tt.permanent || de.RetryAfter() != tt.retry {
				t.Errorf("status %d permanent %v retry %v; want %d %v %v", de.Status, de.Permanent(), de.RetryAfter(), tt.status, tt.permanent, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.message) || strings.Contains(err.Error(), "glpat-") || strings.Contains(err.Error(), "example.coop") {
				t.Errorf("message %q: want %q, no token, no address", err.Error(), tt.message)
			}
			if fake.Users() != 0 {
				t.Error("a user was created despite the failure")
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A member whose GitLab user still waits for approval when the membership
// ends must not be left where an admin could approve them: GitLab's block
// does nothing to such a user, so coopgate rejects the request.
func TestSuspendingAUserWaitingForApprovalRejectsIt(t *testing.T) {
	ctx := context.Background()
	fake, c := setup(t, "")
	p := person("pat")
	u := fake.AddPendingOIDCUser("pat", p.Email, p.Subject)

	got, err := c.Suspend(ctx, p, "x")
	if err != nil || got.State != downstream.StateMissing || got.Before != downstream.StatePending {
		t.Fatalf("Suspend = %+v, %v; want the request gone, found pending", got, err)
	}
	if _, ok := fake.User(u.ID); ok || fake.Count(http.MethodPost, path(u.ID, "reject")) != 1 {
		t.Errorf("the pending user is still there (%d rejects)", fake.Count(http.MethodPost, path(u.ID, "reject")))
	}
	if r := fake.Rejected(); len(r) != 1 || r[0] != p.Email {
		t.Errorf("rejected %v", r)
	}
	got, err = c.Suspend(ctx, p, "x") // a retry finds nothing left to do
	wantAccount(t, got, err, 0, downstream.StateMissing)
}

// TestTokenRefusals: GitLab's bare 403 is explained by asking about the
// token, so the secretary learns whether to make the token's user an
// administrator or give the token the admin_mode scope.
func TestTokenRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*gitlabtest.Server)
		kind  downstream.Kind
		want  string
	}{
		{"admin mode on, no admin_mode scope", func(f *gitlabtest.Server) { f.SetAdminMode(true) },
			downstream.KindCredentials, "the scopes api and admin_mode"},
		{"not an administrator", func(f *gitlabtest.Server) { f.SetTokenAdmin(false) },
			downstream.KindCredentials, "not a GitLab administrator"},
		{"no api scope", func(f *gitlabtest.Server) { f.SetTokenScopes("read_user") },
			downstream.KindCredentials, "lacks a scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, "")
			tt.setup(fake)
			_, err := c.Ensure(context.Background(), person("lee"))
			var de *downstream.Error
			if !errors.As(err, &de) || de.Status != http.StatusForbidden || de.Kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want a 403 of kind %d saying %q", err, tt.kind, tt.want)
			}
		})
	}
	fake, c := setup(t, "")
	fake.SetAdminMode(true)
	fake.SetTokenScopes("api", "admin_mode")
	if got, err := c.Ensure(context.Background(), person("lee")); err != nil || got.State != downstream.StateActive {
		t.Errorf("with admin_mode: %+v, %v", got, err)
	}
}
