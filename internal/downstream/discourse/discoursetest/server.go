// Package discoursetest is an in-memory Discourse admin API for tests: the
// endpoints coopgate calls, with Discourse's JSON shapes and its quirks (a
// refused sign-up is a 200 with success:false, approve is a 403 when there is
// nothing to approve, suspend is a 409 when already suspended, adding an
// existing member is a 422, a bad API key is a 403). Seed it with users and
// groups, point a client at URL, then read the users back.
//
// Request bodies are read as JSON, which is what coopgate sends; Discourse
// also takes forms, which the fake does not.
package discoursetest

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

// User is a user as the fake stores it.
type User struct {
	ID            int
	Username      string
	Name          string
	Email         string
	Active        bool
	Approved      bool
	SuspendedTill *time.Time
	SuspendedAt   *time.Time
	SuspendReason string
	ExternalIDs   map[string]string // provider name -> uid, e.g. {"oidc": sub}
	Sessions      int               // open logins; log_out ends them
	CreatedAt     time.Time
	TrustLevel    int    // 0 for every new user
	IPAddress     string // the address of the request that created it (users.ip_address)
	Admin         bool
	Moderator     bool
}

// staff is Discourse's User#staff?: an admin or a moderator.
func (u User) staff() bool { return u.Admin || u.Moderator }

// Suspended says the user is suspended now.
func (u User) Suspended() bool {
	return u.SuspendedTill != nil && u.SuspendedTill.After(time.Now())
}

type fakeGroup struct {
	id      int
	name    string
	members map[int]bool
}

// Server is a fake Discourse. Its embedded Faults give FailNext, RateLimit,
// SetDown, Calls and Count.
type Server struct {
	downstreamtest.Faults
	URL         string
	APIKey      string
	APIUsername string

	mu          sync.Mutex
	users       map[int]*User
	groups      map[string]*fakeGroup
	lastID      int
	settings    siteSettings
	allowedIPs  map[string]bool // Screened IPs with the action "allow" (do_nothing)
	suspensions map[int]int
	logOuts     map[int]int
}

// NewServer starts a fake Discourse that accepts apiKey acting as
// apiUsername, with Discourse's default site settings (config/site_settings.yml)
// except must_approve_users, which is on. It stops when the test ends.
func NewServer(t testing.TB, apiKey, apiUsername string) *Server {
	s := &Server{
		APIKey: apiKey, APIUsername: apiUsername, users: map[int]*User{}, groups: map[string]*fakeGroup{},
		lastID: 1, settings: defaultSettings(), allowedIPs: map[string]bool{}, suspensions: map[int]int{}, logOuts: map[int]int{},
	}
	srv := httptest.NewServer(s.Faults.Wrap(s.authorized(s.routes()), writeError))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// AddUser stores u, assigning an id, and returns it.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	u.ID = s.lastID
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	u.ExternalIDs = cloneMap(u.ExternalIDs)
	s.users[u.ID] = &u
	return u
}

// AddGroup creates a custom group and returns its id.
func (s *Server) AddGroup(groupName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	s.groups[strings.ToLower(groupName)] = &fakeGroup{id: s.lastID, name: groupName, members: map[int]bool{}}
	return s.lastID
}

// GroupID is the id of the group called groupName (any case), 0 if none.
func (s *Server) GroupID(groupName string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[strings.ToLower(groupName)]; ok {
		return g.id
	}
	return 0
}

// User returns the user with id.
func (s *Server) User(id int) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[id]; ok {
		return copyUser(u), true
	}
	return User{}, false
}

// UserBySubject returns the user linked to an OIDC sub.
func (s *Server) UserBySubject(sub string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.byExternal("oidc", sub); u != nil {
		return copyUser(u), true
	}
	return User{}, false
}

// Users says how many users exist.
func (s *Server) Users() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

// GroupMembers lists a group's members' usernames, sorted.
func (s *Server) GroupMembers(groupName string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	if g, ok := s.groups[strings.ToLower(groupName)]; ok {
		for id := range g.members {
			out = append(out, s.users[id].Username)
		}
	}
	slices.Sort(out)
	return out
}

// Suspensions says how many times user id was suspended.
func (s *Server) Suspensions(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.suspensions[id]
}

// LogOuts says how many times user id was logged out by an admin.
func (s *Server) LogOuts(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logOuts[id]
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /u/by-external/{provider}/{file}", s.byExternalID)
	mux.HandleFunc("PUT /u/{file}", s.updateUser)
	mux.HandleFunc("POST /users.json", s.createUser)
	mux.HandleFunc("GET /admin/users/list/{file}", s.listUsers)
	mux.HandleFunc("GET /admin/users/{file}", s.showUser)
	mux.HandleFunc("PUT /admin/users/{id}/activate.json", s.activate)
	mux.HandleFunc("PUT /admin/users/{id}/approve.json", s.approve)
	mux.HandleFunc("PUT /admin/users/{id}/suspend.json", s.suspend)
	mux.HandleFunc("PUT /admin/users/{id}/unsuspend.json", s.unsuspend)
	mux.HandleFunc("POST /admin/users/{id}/log_out.json", s.logOut)
	mux.HandleFunc("GET /admin/site_settings.json", s.listSettings)
	mux.HandleFunc("GET /groups/{file}", s.showGroup)
	mux.HandleFunc("PUT /groups/{id}/members.json", s.addMembers)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { notFound(w) })
	return mux
}

// authorized answers a wrong key or username as Discourse does: 403
// invalid_access. (Discourse answers a request with no key at all on an
// /admin route with a 404; the fake does not model that.)
func (s *Server) authorized(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Api-Key") != s.APIKey || !strings.EqualFold(r.Header.Get("Api-Username"), s.APIUsername) {
			discourseError(w, http.StatusForbidden, "invalid_access",
				"You are not permitted to view the requested resource. The API username or key is invalid.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func discourseError(w http.ResponseWriter, status int, errorType string, msgs ...string) {
	downstreamtest.WriteJSON(w, status, map[string]any{"errors": msgs, "error_type": errorType})
}

func notFound(w http.ResponseWriter) {
	discourseError(w, http.StatusNotFound, "not_found", "The requested URL or resource could not be found.")
}

// writeError answers an injected failure the way Discourse (or nginx in
// front of it) does: a 429 has Retry-After and wait_seconds.
func writeError(w http.ResponseWriter, status int, wait time.Duration) {
	switch status {
	case http.StatusTooManyRequests:
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		downstreamtest.WriteJSON(w, status, map[string]any{
			"errors":     []string{"You’ve performed this action too many times. Please wait " + strconv.Itoa(secs) + " seconds before trying again."},
			"error_type": "rate_limit",
			"extras":     map[string]any{"wait_seconds": secs, "time_left": strconv.Itoa(secs) + " seconds"},
		})
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte("<html><body><h1>" + http.StatusText(status) + "</h1>nginx</body></html>"))
	default:
		discourseError(w, status, "", http.StatusText(status))
	}
}

func copyUser(u *User) User {
	out := *u
	out.ExternalIDs = cloneMap(u.ExternalIDs)
	return out
}

func cloneMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
