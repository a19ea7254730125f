package gitlabtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

// list is GET /users for an admin: extern_uid and provider only filter
// together, and only for an administrator; username is an exact,
// case-insensitive match.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("extern_uid") != "" && q.Get("provider") != "" && !s.actsAsAdmin() {
		message(w, http.StatusForbidden, "403 Forbidden")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, u := range s.users {
		if q.Get("extern_uid") != "" && q.Get("provider") != "" && s.byIdentity(q.Get("provider"), q.Get("extern_uid")) != u {
			continue
		}
		if q.Get("username") != "" && !strings.EqualFold(u.Username, q.Get("username")) {
			continue
		}
		out = append(out, userJSON(u))
	}
	w.Header().Set("X-Total", strconv.Itoa(len(out)))
	downstreamtest.WriteJSON(w, http.StatusOK, out)
}

type createRequest struct {
	Email               string `json:"email"`
	Username            string `json:"username"`
	Name                string `json:"name"`
	Password            string `json:"password"`
	ExternUID           string `json:"extern_uid"`
	Provider            string `json:"provider"`
	SkipConfirmation    bool   `json:"skip_confirmation"`
	ForceRandomPassword bool   `json:"force_random_password"`
}

// create is POST /users: 400 for a missing or invalid field, 409 for a
// taken email or username, 201 with the new user otherwise. Users an admin
// creates are active even when sign-ups need approval.
func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Email == "" || req.Username == "" || req.Name == "" {
		message(w, http.StatusBadRequest, "400 Bad request - email, name, username are missing")
		return
	}
	if req.Password == "" && !req.ForceRandomPassword {
		message(w, http.StatusBadRequest, "400 Bad request - password, reset_password, force_random_password are missing, at least one parameter must be provided")
		return
	}
	if !regexp.MustCompile(`^[\w][\w.-]*$`).MatchString(req.Username) || strings.HasSuffix(req.Username, ".") {
		message(w, http.StatusBadRequest, map[string][]string{"username": {"can contain only letters, digits, '_', '-' and '.'. Cannot start with '-' or end in '.', '.git' or '.atom'."}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if status, msg := s.taken(req); status != 0 {
		message(w, status, msg)
		return
	}
	s.lastID++
	u := &User{ID: s.lastID, Username: req.Username, Name: req.Name, Email: req.Email, State: "active", Confirmed: req.SkipConfirmation, CreatedAt: time.Now().UTC()}
	if req.ExternUID != "" && req.Provider != "" {
		u.Identities = []Identity{{Provider: req.Provider, ExternUID: req.ExternUID}}
	}
	s.users[u.ID] = u
	downstreamtest.WriteJSON(w, http.StatusCreated, userJSON(u))
}

func (s *Server) taken(req createRequest) (int, string) {
	for _, u := range s.users {
		if strings.EqualFold(u.Email, req.Email) {
			return http.StatusConflict, "Email has already been taken"
		}
	}
	if s.byUsername(req.Username) != nil {
		return http.StatusConflict, "Username has already been taken"
	}
	if req.ExternUID != "" && s.byIdentity(req.Provider, req.ExternUID) != nil {
		return http.StatusConflict, "Identity has already been taken" // GitLab's own wording may differ
	}
	return 0, ""
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, func(u *User) (int, any) { return http.StatusOK, userJSON(u) })
}

// modify is PUT /users/:id; the fake only handles linking an identity.
func (s *Server) modify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ExternUID string `json:"extern_uid"`
		Provider  string `json:"provider"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.withUser(w, r, func(u *User) (int, any) {
		if req.ExternUID == "" || req.Provider == "" {
			return http.StatusOK, userJSON(u)
		}
		kept := u.Identities[:0]
		for _, id := range u.Identities {
			if id.Provider != req.Provider {
				kept = append(kept, id)
			}
		}
		u.Identities = append(kept, Identity{Provider: req.Provider, ExternUID: req.ExternUID})
		return http.StatusOK, userJSON(u)
	})
}

// approve is POST /users/:id/approve (Users::ApproveService): 403 unless
// the token acts as an administrator, 409 unless the user waits for
// approval, else the user becomes active.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	admin := s.actsAsAdmin()
	s.withUser(w, r, func(u *User) (int, any) {
		switch {
		case !admin:
			return http.StatusForbidden, map[string]string{"message": "You are not allowed to approve a user"}
		case u.State != "blocked_pending_approval":
			return http.StatusConflict, map[string]string{"message": "The user you are trying to approve is not pending approval"}
		}
		u.State = "active"
		return http.StatusCreated, map[string]string{"message": "Success"}
	})
}

// block answers 201 `true`, or 201 with nothing to say, changing nothing,
// when the user is blocked? already, which in GitLab's state machine
// (app/models/user.rb) is true for blocked, ldap_blocked (refused first),
// banned and blocked_pending_approval: a user waiting for approval stays
// waiting, and an admin could still approve it (lib/api/users.rb:
// `break if user.blocked?`).
func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, func(u *User) (int, any) {
		switch u.State {
		case "ldap_blocked":
			return http.StatusForbidden, map[string]string{"message": "403 Forbidden - LDAP blocked users cannot be modified by the API"}
		case "blocked", "banned", "blocked_pending_approval":
			return http.StatusCreated, nil
		}
		u.State = "blocked"
		s.blocks[u.ID]++
		return http.StatusCreated, true
	})
}

// reject is POST /users/:id/reject (Users::RejectService): 403 unless the
// token acts as an administrator; only a user waiting for approval can be
// rejected, else 409; GitLab then deletes the
// user (delete_async with hard_delete) and mails them that the request
// was rejected. The fake deletes at once and answers with the user.
func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	admin := s.actsAsAdmin()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	switch {
	case !ok:
		message(w, http.StatusNotFound, "404 User Not Found")
	case !admin:
		message(w, http.StatusForbidden, "You are not allowed to reject a user")
	case u.State != "blocked_pending_approval":
		message(w, http.StatusConflict, "User does not have a pending request")
	default:
		delete(s.users, id)
		s.rejected = append(s.rejected, u.Email)
		downstreamtest.WriteJSON(w, http.StatusCreated, userJSON(u))
	}
}

// unblock answers 201 `true`, or 201 `false` for a user who was not blocked.
func (s *Server) unblock(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, func(u *User) (int, any) {
		switch u.State {
		case "ldap_blocked":
			return http.StatusForbidden, map[string]string{"message": "403 Forbidden - LDAP blocked users cannot be unblocked by the API"}
		case "deactivated":
			return http.StatusForbidden, map[string]string{"message": "403 Forbidden - Deactivated users cannot be unblocked by the API"}
		case "active":
			return http.StatusCreated, false
		}
		u.State = "active"
		return http.StatusCreated, true
	})
}

// withUser runs change on the user named in the path and answers with what
// it returns, as JSON (nil is JSON null).
func (s *Server) withUser(w http.ResponseWriter, r *http.Request, change func(*User) (int, any)) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		message(w, http.StatusNotFound, "404 User Not Found")
		return
	}
	status, body := change(u)
	downstreamtest.WriteJSON(w, status, body)
}

// userJSON is the admin's view of a user (API::Entities::UserWithAdmin).
func userJSON(u *User) map[string]any {
	ids := []map[string]any{}
	for _, id := range u.Identities {
		ids = append(ids, map[string]any{"provider": id.Provider, "extern_uid": id.ExternUID, "saml_provider_id": nil})
	}
	var confirmed any
	if u.Confirmed {
		confirmed = u.CreatedAt.Format(time.RFC3339)
	}
	return map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "state": u.State, "locked": false,
		"avatar_url": "", "web_url": "https://git.example.coop/" + u.Username,
		"created_at": u.CreatedAt.Format(time.RFC3339), "email": u.Email, "identities": ids,
		"is_admin": false, "confirmed_at": confirmed, "external": false, "two_factor_enabled": false,
	}
}
