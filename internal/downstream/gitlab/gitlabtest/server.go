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
	"slices"
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

	mu        sync.Mutex
	users     map[int]*User
	lastID    int
	blocks    map[int]int
	scopes    []string // the token's scopes
	admin     bool     // the token's user is an administrator
	adminMode bool     // the instance requires Admin Mode for admin actions
	rejected  []string // emails of rejected users, whom GitLab mails
}

// NewServer starts a fake GitLab that accepts token as an administrator's
// personal access token with the api scope, on an instance without Admin
// Mode. It stops when the test ends.
func NewServer(t testing.TB, token string) *Server {
	s := &Server{Token: token, users: map[int]*User{}, blocks: map[int]int{}, lastID: 1, scopes: []string{"api"}, admin: true}
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

// SetTokenScopes replaces the token's scopes (api, read_api, read_user,
// admin_mode, ...).
func (s *Server) SetTokenScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = scopes
}

// SetTokenAdmin says whether the token's user is an administrator.
func (s *Server) SetTokenAdmin(admin bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.admin = admin
}

// SetAdminMode mirrors Admin → Settings → General → Sign-in restrictions →
// Admin Mode: on, a token acts as an administrator only with the
// admin_mode scope (Gitlab::Auth::CurrentUserMode for API requests).
func (s *Server) SetAdminMode(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.adminMode = on
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

// Rejected lists the emails of the users whose requests were rejected.
func (s *Server) Rejected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.rejected...)
}

// Blocks says how many times user id went from unblocked to blocked.
func (s *Server) Blocks(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[id]
}

// routes mirrors lib/api/users.rb: creating, changing, blocking and
// unblocking a user, and the list filtered by extern_uid and provider,
// start with authenticated_as_admin!, which answers a bare 403 to a token
// that may not act as an administrator (lib/api/helpers.rb); approve and
// reject leave that to their services, which say so in words.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v4/users", s.list)
	mux.HandleFunc("POST /api/v4/users", s.asAdmin(s.create))
	mux.HandleFunc("GET /api/v4/users/{id}", s.show)
	mux.HandleFunc("PUT /api/v4/users/{id}", s.asAdmin(s.modify))
	mux.HandleFunc("POST /api/v4/users/{id}/approve", s.approve)
	mux.HandleFunc("POST /api/v4/users/{id}/reject", s.reject)
	mux.HandleFunc("POST /api/v4/users/{id}/block", s.asAdmin(s.block))
	mux.HandleFunc("POST /api/v4/users/{id}/unblock", s.asAdmin(s.unblock))
	mux.HandleFunc("GET /api/v4/user", s.currentUser)
	mux.HandleFunc("GET /api/v4/personal_access_tokens/self", s.tokenSelf)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { message(w, http.StatusNotFound, "404 Not Found") })
	return mux
}

// authorized answers a wrong token with 401, and a token without a scope
// for the request with 403 insufficient_scope (lib/api/api_guard.rb): the
// users API takes api, read_api for reads, and read_user for reads
// (allow_access_with_scope :read_user in lib/api/users.rb); a token's own
// details are readable with any scope.
func (s *Server) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != s.Token {
			message(w, http.StatusUnauthorized, "401 Unauthorized")
			return
		}
		want := []string{"api"}
		if r.Method == http.MethodGet {
			want = append(want, "read_api", "read_user")
		}
		s.mu.Lock()
		ok := r.URL.Path == "/api/v4/personal_access_tokens/self" ||
			slices.ContainsFunc(want, func(sc string) bool { return slices.Contains(s.scopes, sc) })
		s.mu.Unlock()
		if !ok {
			downstreamtest.WriteJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope",
				"error_description": "The request requires higher privileges than provided by the access token.",
				"scope":             strings.Join(want, " ")})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// actsAsAdmin is current_user.can_admin_all_resources?: an administrator,
// in Admin Mode when the instance requires it, which a token is when it
// has the admin_mode scope.
func (s *Server) actsAsAdmin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admin && (!s.adminMode || slices.Contains(s.scopes, "admin_mode"))
}

func (s *Server) asAdmin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.actsAsAdmin() {
			message(w, http.StatusForbidden, "403 Forbidden")
			return
		}
		next(w, r)
	}
}

// currentUser is GET /user: the token's user, with is_admin only for an
// administrator (Entities::UserWithAdmin), whatever Admin Mode says.
func (s *Server) currentUser(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	admin := s.admin
	s.mu.Unlock()
	out := map[string]any{"id": 1, "username": "coopgate", "name": "coopgate", "state": "active"}
	if admin {
		out["is_admin"] = true
	}
	downstreamtest.WriteJSON(w, http.StatusOK, out)
}

// tokenSelf is GET /personal_access_tokens/self (lib/api/personal_access_tokens.rb).
func (s *Server) tokenSelf(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	scopes := append([]string{}, s.scopes...)
	s.mu.Unlock()
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"id": 7, "name": "coopgate", "revoked": false,
		"active": true, "scopes": scopes, "user_id": 1, "expires_at": nil})
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
