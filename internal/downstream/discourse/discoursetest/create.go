package discoursetest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

type createRequest struct {
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	Password    string            `json:"password"`
	Username    string            `json:"username"`
	Active      bool              `json:"active"`
	Approved    bool              `json:"approved"`
	ExternalIDs map[string]string `json:"external_ids"`
}

// createUser is POST /users.json as an admin's API key makes it: active and
// approved are honoured, external_ids link the new user (taking the link from
// any other user, as Discourse does), and a validation failure is a 200 with
// success:false.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Email == "" || req.Username == "" {
		discourseError(w, http.StatusBadRequest, "invalid_parameters", "param is missing or the value is empty: email or username")
		return
	}
	for provider := range req.ExternalIDs {
		if provider != "oidc" {
			discourseError(w, http.StatusBadRequest, "invalid_parameters", "You supplied invalid parameters to the request: external_ids")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if field, problem := s.invalid(req); problem != "" {
		downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{
			"success": false, "message": "There were errors: " + problem,
			"errors": map[string][]string{field: {problem}}, "values": map[string]string{"username": req.Username, "email": req.Email},
		})
		return
	}
	u := s.insert(req)
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{
		"success": true, "active": u.Active, "message": "Your account is activated and ready to use.", "user_id": u.ID,
	})
}

func (s *Server) insert(req createRequest) *User {
	for provider, uid := range req.ExternalIDs {
		if other := s.byExternal(provider, uid); other != nil {
			delete(other.ExternalIDs, provider)
		}
	}
	s.lastID++
	u := &User{
		ID: s.lastID, Username: req.Username, Name: req.Name, Email: req.Email, Active: req.Active,
		Approved: req.Approved || !s.mustApprove, ExternalIDs: cloneMap(req.ExternalIDs), CreatedAt: time.Now().UTC(),
	}
	s.users[u.ID] = u
	return u
}

// invalid runs the checks a new user must pass, returning the field and the
// message Discourse would give.
func (s *Server) invalid(req createRequest) (field, problem string) {
	if p := s.usernameProblem(req.Username); p != "" {
		return "username", "Username " + p
	}
	if s.byUsername(req.Username) != nil {
		return "username", "Username must be unique"
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Email, req.Email) {
			return "email", "Primary email has already been taken"
		}
	}
	if len(req.Password) < 10 {
		return "password", "Password is too short (minimum is 10 characters)"
	}
	return "", ""
}

// usernameProblem applies Discourse's UsernameValidator rules that
// coopgate's usernames can trip: Mastodon allows what some of these forbid.
func (s *Server) usernameProblem(username string) string {
	switch n := len([]rune(username)); {
	case n < 3:
		return "must be at least 3 characters"
	case n > s.maxUsername:
		return "must be no more than " + strconv.Itoa(s.maxUsername) + " characters"
	case !regexp.MustCompile(`^[\w.-]+$`).MatchString(username):
		return "must only include numbers, letters, dashes, dots, and underscores"
	case !regexp.MustCompile(`^[\p{L}\p{N}_]`).MatchString(username):
		return "must begin with a letter, a number or an underscore"
	case !regexp.MustCompile(`[\p{L}\p{N}]$`).MatchString(username):
		return "must end with a letter or a number"
	case regexp.MustCompile(`[-_.]{2,}`).MatchString(username):
		return "must not contain a sequence of 2 or more special chars (.-_)"
	}
	return ""
}
