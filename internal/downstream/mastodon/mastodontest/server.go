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
}

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
}

// NewServer starts a fake Mastodon that accepts token; it stops when the test ends.
func NewServer(t testing.TB, token string) *Server {
	s := &Server{Token: token, accounts: map[string]*Account{}, suspensions: map[string]int{}, lastID: 109_000_000}
	s.srv = httptest.NewServer(s.Faults.Wrap(s.authorized(s.routes()), writeError))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
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

// Suspensions says how many suspend actions account id received.
func (s *Server) Suspensions(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suspensions[id]
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/admin/accounts", s.list)
	mux.HandleFunc("GET /api/v1/admin/accounts/{id}", s.show)
	mux.HandleFunc("POST /api/v1/admin/accounts/{id}/approve", s.approve)
	mux.HandleFunc("POST /api/v1/admin/accounts/{id}/reject", s.reject)
	mux.HandleFunc("POST /api/v1/admin/accounts/{id}/action", s.action)
	mux.HandleFunc("POST /api/v1/admin/accounts/{id}/unsuspend", s.unsuspend)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		mastodonError(w, http.StatusNotFound, "Record not found")
	})
	return mux
}

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
