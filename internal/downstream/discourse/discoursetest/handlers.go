package discoursetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

func (s *Server) byExternal(provider, uid string) *User {
	for _, u := range s.users {
		if v, ok := u.ExternalIDs[provider]; ok && v == uid {
			return u
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

// jsonFile strips the ".json" that every API path ends with.
func jsonFile(r *http.Request, key string) (string, bool) {
	return strings.CutSuffix(r.PathValue(key), ".json")
}

func (s *Server) byExternalID(w http.ResponseWriter, r *http.Request) {
	uid, _ := jsonFile(r, "file")
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byExternal(r.PathValue("provider"), uid)
	if u == nil {
		notFound(w)
		return
	}
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"user_badges": []any{}, "user": publicJSON(u)})
}

// listUsers is GET /admin/users/list/{flag}.json; the email filter is an
// exact match on the (lower-cased) primary email.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	email := strings.ToLower(r.URL.Query().Get("email"))
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, u := range s.users {
		if email == "" || strings.ToLower(u.Email) == email {
			out = append(out, publicJSON(u))
		}
	}
	downstreamtest.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, "file", func(u *User) (int, any) { return http.StatusOK, s.adminJSON(u) })
}

// updateUser is PUT /u/{username}.json; the fake only handles external_ids,
// which an admin's API key may set.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	username, _ := jsonFile(r, "file")
	var body struct {
		ExternalIDs map[string]string `json:"external_ids"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil {
		discourseError(w, http.StatusBadRequest, "invalid_parameters", "You supplied invalid parameters to the request")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byUsername(username)
	if u == nil {
		notFound(w)
		return
	}
	if body.ExternalIDs != nil {
		u.ExternalIDs = cloneMap(body.ExternalIDs)
	}
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"success": "OK", "user": publicJSON(u)})
}

func (s *Server) activate(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, "id", func(u *User) (int, any) {
		u.Active = true
		return http.StatusOK, map[string]string{"success": "OK"}
	})
}

// approve is refused (403) unless the user is active and not yet approved,
// as Discourse's guardian does.
func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, "id", func(u *User) (int, any) {
		if !u.Active || u.Approved {
			return http.StatusForbidden, invalidAccess()
		}
		u.Approved = true
		return http.StatusOK, nil
	})
}

func (s *Server) suspend(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SuspendUntil string `json:"suspend_until"`
		Reason       string `json:"reason"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	s.withUser(w, r, "id", func(u *User) (int, any) {
		until, err := time.Parse("2006-01-02", body.SuspendUntil)
		switch {
		case u.staff():
			// Guardian#can_suspend? (lib/guardian.rb) needs user.regular?:
			// nobody suspends an admin or a moderator; Discourse::InvalidAccess.
			return http.StatusForbidden, invalidAccess()
		case strings.TrimSpace(body.Reason) == "" || err != nil:
			return http.StatusBadRequest, map[string]any{"failed": "FAILED", "errors": []string{"Reason can't be blank or Suspend until is invalid"}}
		case u.Suspended():
			return http.StatusConflict, map[string]any{"failed": "FAILED", "message": u.Username + " is already suspended."}
		}
		now := time.Now().UTC()
		u.SuspendedTill, u.SuspendedAt, u.SuspendReason = &until, &now, body.Reason
		s.suspensions[u.ID]++
		return http.StatusOK, map[string]any{"suspension": map[string]any{
			"suspend_reason": body.Reason, "full_suspend_reason": body.Reason,
			"suspended_till": until.Format(time.RFC3339), "suspended_at": now.Format(time.RFC3339),
		}}
	})
}

func (s *Server) unsuspend(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, "id", func(u *User) (int, any) {
		u.SuspendedTill, u.SuspendedAt, u.SuspendReason = nil, nil, ""
		return http.StatusOK, map[string]any{"suspension": map[string]any{"suspended_till": nil, "suspended_at": nil}}
	})
}

func (s *Server) logOut(w http.ResponseWriter, r *http.Request) {
	s.withUser(w, r, "id", func(u *User) (int, any) {
		u.Sessions = 0
		s.logOuts[u.ID]++
		return http.StatusOK, map[string]string{"success": "OK"}
	})
}

// withUser runs change on the user named by the path value key (an id, with
// or without ".json") and answers with what it returns; nil is an empty body.
func (s *Server) withUser(w http.ResponseWriter, r *http.Request, key string, change func(*User) (int, any)) {
	raw, _ := jsonFile(r, key)
	id, _ := strconv.Atoi(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		notFound(w)
		return
	}
	status, body := change(u)
	if body == nil {
		w.WriteHeader(status)
		return
	}
	downstreamtest.WriteJSON(w, status, body)
}

func (s *Server) showGroup(w http.ResponseWriter, r *http.Request) {
	groupName, _ := jsonFile(r, "file")
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[strings.ToLower(groupName)]
	if !ok {
		notFound(w)
		return
	}
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{
		"group":  map[string]any{"id": g.id, "name": g.name, "automatic": false, "user_count": len(g.members)},
		"extras": map[string]any{"visible_group_names": []string{g.name}},
	})
}

// addMembers is PUT /groups/{id}/members.json with comma-separated
// usernames; 422 when every one of them is already a member.
func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Usernames string `json:"usernames"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	id, _ := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupByID(id)
	if g == nil {
		notFound(w)
		return
	}
	users, already := s.named(body.Usernames, g)
	switch {
	case len(users) == 0:
		discourseError(w, http.StatusBadRequest, "invalid_parameters", "You must enter at least one username or email.")
	case len(already) == len(users):
		discourseError(w, http.StatusUnprocessableEntity, "", strings.Join(already, ", ")+" is already a member of this group")
	default:
		var added []string
		for _, u := range users {
			g.members[u.ID] = true
			added = append(added, u.Username)
		}
		downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"success": "OK", "usernames": added, "emails": []string{}})
	}
}

func (s *Server) groupByID(id int) *fakeGroup {
	for _, g := range s.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

// named finds the users in a comma-separated list, and which are in g.
func (s *Server) named(usernames string, g *fakeGroup) (users []*User, already []string) {
	for _, n := range strings.Split(usernames, ",") {
		if u := s.byUsername(strings.TrimSpace(n)); u != nil {
			users = append(users, u)
			if g.members[u.ID] {
				already = append(already, u.Username)
			}
		}
	}
	slices.Sort(already)
	return users, already
}

func invalidAccess() map[string]any {
	return map[string]any{"errors": []string{"You are not permitted to view the requested resource."}, "error_type": "invalid_access"}
}

func publicJSON(u *User) map[string]any {
	return map[string]any{
		"id": u.ID, "username": u.Username, "name": u.Name, "avatar_template": "/letter_avatar_proxy/v4/letter/a/{size}.png",
		"active": u.Active, "admin": u.Admin, "moderator": u.Moderator, "trust_level": u.TrustLevel,
		"created_at": u.CreatedAt.Format(time.RFC3339),
	}
}

// adminJSON is AdminDetailedUserSerializer's shape: "approved" only under
// must_approve_users, suspension fields only while suspended, automatic
// groups listed with the custom ones.
func (s *Server) adminJSON(u *User) map[string]any {
	out := publicJSON(u)
	groups := []map[string]any{{"id": 10, "name": "trust_level_0", "automatic": true}, {"id": 11, "name": "trust_level_1", "automatic": true}}
	for _, g := range s.groups {
		if g.members[u.ID] {
			groups = append(groups, map[string]any{"id": g.id, "name": g.name, "automatic": false})
		}
	}
	out["groups"] = groups
	out["external_ids"] = cloneMap(u.ExternalIDs)
	out["staged"] = false
	out["ip_address"], out["registration_ip_address"] = u.IPAddress, u.IPAddress
	if s.settings.mustApprove {
		out["approved"] = u.Approved
	}
	if u.Suspended() {
		out["suspended_till"] = u.SuspendedTill.Format(time.RFC3339)
		if u.SuspendedAt != nil {
			out["suspended_at"] = u.SuspendedAt.Format(time.RFC3339)
		}
		out["full_suspend_reason"] = u.SuspendReason
	}
	return out
}
