// Package gitlabtest is an in-memory GitLab users API (v4) for tests: the
// endpoints coopgate calls, with GitLab's JSON shapes and answers (201 for
// block/unblock/approve whether or not anything changed, 409 for a taken
// email or username, 403 for LDAP-blocked users, {"message":"401
// Unauthorized"} for a bad token, "Retry later" with Retry-After on 429).
// Seed it with users, point a client at URL, then read the users back.
//
// Request bodies are read as JSON, which is what coopgate sends.
package gitlabtest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

// Identity links a user to an external login.
type Identity struct {
	Provider  string
	ExternUID string
}

// User is a user as the fake stores it. State is GitLab's: active, blocked,
// blocked_pending_approval, ldap_blocked, banned or deactivated.
type User struct {
	ID         int
	Username   string
	Name       string
	Email      string
	State      string
	Identities []Identity
	Confirmed  bool
	CreatedAt  time.Time
}

// Server is a fake GitLab. Its embedded Faults give FailNext, FailPath,
// RateLimit, SetDown, Calls and Count.
type Server struct {
	downstreamtest.Faults
	URL   string // base URL to give the client (without /api/v4)
	Token string

	mu     sync.Mutex
	users  map[int]*User
	lastID int
	blocks map[int]int
}

// NewServer starts a fake GitLab that accepts token as an administrator's
// personal access token. It stops when the test ends.
func NewServer(t testing.TB, token string) *Server {
	s := &Server{Token: token, users: map[int]*User{}, blocks: map[int]int{}, lastID: 1}
	srv := httptest.NewServer(s.Faults.Wrap(s.authorized(s.routes()), writeError))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AddUser stores u (State defaults to active), assigning an id, and returns it.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	u.ID = s.lastID
	if u.State == "" {
		u.State = "active"
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	u.Identities = append([]Identity(nil), u.Identities...)
	s.users[u.ID] = &u
	return u
}

// AddPendingOIDCUser stores the user GitLab makes on a first OIDC login when
// omniauth_block_auto_created_users is on: linked, waiting for approval.
func (s *Server) AddPendingOIDCUser(username, email, sub string) User {
	return s.AddUser(User{
		Username: username, Name: username, Email: email, State: "blocked_pending_approval", Confirmed: true,
		Identities: []Identity{{Provider: "openid_connect", ExternUID: sub}},
	})
}

// User returns the user with id.
func (s *Server) User(id int) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	out := *u
	out.Identities = append([]Identity(nil), u.Identities...)
	return out, true
}

// UserBySubject returns the user with an openid_connect identity for sub.
func (s *Server) UserBySubject(sub string) (User, bool) {
	s.mu.Lock()
	u := s.byIdentity("openid_connect", sub)
	s.mu.Unlock()
	if u == nil {
		return User{}, false
	}
	return s.User(u.ID)
}

// Users says how many users exist.
func (s *Server) Users() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

// Blocks says how many times user id went from unblocked to blocked.
func (s *Server) Blocks(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[id]
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/users", s.list)
	mux.HandleFunc("POST /api/v4/users", s.create)
	mux.HandleFunc("GET /api/v4/users/{id}", s.show)
	mux.HandleFunc("PUT /api/v4/users/{id}", s.modify)
	mux.HandleFunc("POST /api/v4/users/{id}/approve", s.approve)
	mux.HandleFunc("POST /api/v4/users/{id}/block", s.block)
	mux.HandleFunc("POST /api/v4/users/{id}/unblock", s.unblock)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { message(w, http.StatusNotFound, "404 Not Found") })
	return mux
}

func (s *Server) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != s.Token {
			message(w, http.StatusUnauthorized, "401 Unauthorized")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func message(w http.ResponseWriter, status int, msg any) {
	downstreamtest.WriteJSON(w, status, map[string]any{"message": msg})
}

// writeError answers an injected failure the way GitLab does: Rack::Attack's
// 429 is plain text with Retry-After and RateLimit-* headers; a 502 comes
// from Workhorse as HTML.
func writeError(w http.ResponseWriter, status int, wait time.Duration) {
	switch status {
	case http.StatusTooManyRequests:
		secs := int((wait + time.Second - 1) / time.Second)
		reset := time.Now().Add(wait)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("RateLimit-Limit", "600")
		w.Header().Set("RateLimit-Remaining", "0")
		w.Header().Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		w.Header().Set("RateLimit-ResetTime", reset.UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("Retry later\n"))
	case http.StatusBadGateway:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>502: GitLab is not responding</body></html>"))
	default:
		message(w, status, strconv.Itoa(status)+" "+http.StatusText(status))
	}
}

func (s *Server) byIdentity(provider, uid string) *User {
	for _, u := range s.users {
		for _, id := range u.Identities {
			if id.Provider == provider && id.ExternUID == uid {
				return u
			}
		}
	}
	return nil
}

func (s *Server) byUsername(username string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Username, username) {
			return u
		}
	}
	return nil
}
