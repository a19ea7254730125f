// Package mastodontest is an in-memory Mastodon admin API for tests: the
// endpoints coopgate calls, with Mastodon's JSON shapes, status codes and
// quirks (prefix-matching filters, Link pagination, 403 for actions that do
// not apply, X-RateLimit-Reset on 429). Seed it with accounts as Mastodon
// would have made them, point a client at URL, then read the accounts back.
//
// Form bodies are parsed, as go-mastodon sends them.
package mastodontest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

// Account is an account as the fake stores it.
type Account struct {
	ID        string
	Username  string
	Email     string
	CreatedAt time.Time
	Confirmed bool
	Approved  bool
	Disabled  bool
	Suspended bool
	// SuspendReason is the text of the last suspend action.
	SuspendReason string
	// SuspendMailed says the last suspend action asked Mastodon to mail the
	// account's owner (send_email_notification, true unless sent as false).
	SuspendMailed bool
	// Role is the account's user role: "" (everyone), Moderator, Admin or Owner.
	Role string
}

// rolePositions are the positions of Mastodon's default roles (UserRole):
// a staff user may act only on roles with a lower position.
var rolePositions = map[string]int{"": -1, "Moderator": 10, "Admin": 100, "Owner": 1000}

// State is the account's state in coopgate's words, for assertions.
func (a Account) State() string {
	switch {
	case a.Suspended:
		return "suspended"
	case !a.Approved:
		return "pending"
	}
	return "active"
}

// Server is a fake Mastodon. Its embedded Faults give FailNext, RateLimit,
// SetDown, Calls and Count.
type Server struct {
	downstreamtest.Faults
	URL   string // base URL to give the client
	Token string // the admin token it accepts

	srv         *httptest.Server
	mu          sync.Mutex
	accounts    map[string]*Account
	lastID      int64
	suspensions map[string]int
	strikes     map[string]int
	scopes      []string // the token's scopes
	tokenRole   string   // the role of the token's user
	manageUsers bool     // whether that role has the Manage Users permission
	// manageFederation: whether that role has Manage Federation, which the
	// domain blocks need (DomainBlockPolicy).
	manageFederation bool
	blocks           map[string]*DomainBlock // by id
	lastBlockID      int64
}

// NewServer starts a fake Mastodon that accepts token, a token of an Admin
// with the scopes admin:read:accounts and admin:write:accounts, as the
// integration guide says to make it. It stops when the test ends.
func NewServer(t testing.TB, token string) *Server {
	s := New(token)
	s.srv = httptest.NewServer(s.Handler())
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// New makes a fake Mastodon that does not listen, for a program that serves
// its Handler itself (e2e/fakemastodon); NewServer is New on a test server.
// Its token has the accounts' scopes and the domain blocks' (admin:read:domain_blocks,
// admin:write:domain_blocks), and an Admin's role, which has Manage Users and
// Manage Federation.
func New(token string) *Server {
	return &Server{Token: token, accounts: map[string]*Account{}, suspensions: map[string]int{}, strikes: map[string]int{},
		lastID: 109_000_000, tokenRole: "Admin", manageUsers: true, manageFederation: true,
		blocks: map[string]*DomainBlock{}, lastBlockID: 0,
		scopes: []string{"admin:read:accounts", "admin:write:accounts", "admin:read:domain_blocks", "admin:write:domain_blocks"}}
}

// Handler is the fake's API, its faults in front.
func (s *Server) Handler() http.Handler {
	return s.Faults.Wrap(s.authorized(s.routes()), writeError)
}

// AddAccount stores a local account as given, assigning an ID and a
// creation time if it has none, and returns it.
func (s *Server) AddAccount(a Account) Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == "" {
		s.lastID++
		a.ID = strconv.FormatInt(s.lastID, 10)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now().UTC()
	}
	s.accounts[a.ID] = &a
	return a
}

// AddOIDCLogin stores the account Mastodon makes on a member's first OIDC
// login: confirmed, and approved because it is "external".
func (s *Server) AddOIDCLogin(username, email string) Account {
	return s.AddAccount(Account{Username: username, Email: email, Confirmed: true, Approved: true})
}

// AddPendingSignUp stores a local sign-up that waits for a moderator.
func (s *Server) AddPendingSignUp(username, email string) Account {
	return s.AddAccount(Account{Username: username, Email: email, Confirmed: true})
}

// Account returns the account with id, if it exists.
func (s *Server) Account(id string) (Account, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, false
	}
	return *a, true
}

// Accounts returns how many accounts exist.
func (s *Server) Accounts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accounts)
}

// SetTokenScopes replaces the token's OAuth scopes.
func (s *Server) SetTokenScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = scopes
}

// SetTokenRole sets the role of the token's user, and whether that role
// has the Manage Users permission.
func (s *Server) SetTokenRole(role string, manageUsers bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenRole, s.manageUsers = role, manageUsers
}

// Strikes says how many strikes (account warnings) account id has.
func (s *Server) Strikes(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.strikes[id]
}

// Suspensions says how many suspend actions account id received.
func (s *Server) Suspensions(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suspensions[id]
}

// routes puts each endpoint behind the checks Mastodon makes before it:
// the token's scope (the controllers' authorize_if_got_token!, before
// set_account, so a missing scope is a 403 even for an id that does not
// exist), then the Manage Users permission (AccountPolicy#index?/show?,
// UserPolicy#approve?/reject?, AccountPolicy#unsuspend?).
// app/controllers/api/v1/admin/accounts_controller.rb,
// app/controllers/api/v1/admin/account_actions_controller.rb,
// app/controllers/api/v2/admin/accounts_controller.rb.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	read, write := []string{"admin:read", "admin:read:accounts"}, []string{"admin:write", "admin:write:accounts"}
	mux.Handle("GET /api/v2/admin/accounts", s.guard(read, true, s.list))
	mux.Handle("GET /api/v1/admin/accounts/{id}", s.guard(read, true, s.show))
	mux.Handle("POST /api/v1/admin/accounts/{id}/approve", s.guard(write, true, s.approve))
	mux.Handle("POST /api/v1/admin/accounts/{id}/reject", s.guard(write, true, s.reject))
	mux.Handle("POST /api/v1/admin/accounts/{id}/action", s.guard(write, false, s.action))
	mux.Handle("POST /api/v1/admin/accounts/{id}/unsuspend", s.guard(write, true, s.unsuspend))
	s.domainBlockRoutes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mastodonError(w, http.StatusNotFound, "Record not found")
	})
	return mux
}

// guard answers as Doorkeeper does for a token without any of scopes
// (Api::BaseController#doorkeeper_forbidden_render_options), then as
// Api::BaseController does for Mastodon::NotPermittedError when the action
// needs Manage Users and the token's role lacks it. The action endpoint
// checks its own policy, which depends on the target.
func (s *Server) guard(scopes []string, needsManageUsers bool, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		granted := slices.ContainsFunc(scopes, func(sc string) bool { return slices.Contains(s.scopes, sc) })
		permitted := s.manageUsers || !needsManageUsers
		s.mu.Unlock()
		switch {
		case !granted:
			mastodonError(w, http.StatusForbidden, "This action is outside the authorized scopes")
		case !permitted:
			mastodonError(w, http.StatusForbidden, notAllowed)
		default:
			next(w, r)
		}
	})
}

const notAllowed = "This action is not allowed"

// authorized answers as Doorkeeper does when the Bearer token is wrong or absent.
func (s *Server) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+s.Token {
			mastodonError(w, http.StatusUnauthorized, "The access token is invalid")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func mastodonError(w http.ResponseWriter, status int, msg string) {
	downstreamtest.WriteJSON(w, status, map[string]string{"error": msg})
}

// writeError answers an injected failure the way Mastodon (or the proxy in
// front of it) does: Rack::Attack's 429 carries X-RateLimit-Reset, not
// Retry-After; a Rails 500 is an HTML page.
func writeError(w http.ResponseWriter, status int, wait time.Duration) {
	switch status {
	case http.StatusTooManyRequests:
		w.Header().Set("X-RateLimit-Limit", "300")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", time.Now().UTC().Add(wait).Format("2006-01-02T15:04:05.000000Z"))
		mastodonError(w, status, "Too many requests")
	case http.StatusInternalServerError:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>We're sorry, but something went wrong.</body></html>"))
	default:
		mastodonError(w, status, http.StatusText(status))
	}
}
