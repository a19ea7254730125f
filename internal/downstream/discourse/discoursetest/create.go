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

// Discourse's own words (config/locales/server.en.yml).
const (
	msgNewRegistrationsDisabled = "New account registrations are not allowed at this time." // login.new_registrations_disabled
	msgReservedUsername         = "That username is not allowed."                           // login.reserved_username
	// activerecord.errors.models.user.attributes.ip_address.max_new_accounts_per_registration_ip
	msgMaxNewAccountsPerIP = "New registrations are not allowed from your IP address (maximum limit reached). Contact a staff member."
)

// createUser is POST /users.json as an admin's API key makes it, in the
// order of UsersController#create (app/controllers/users_controller.rb):
// closed registrations and reserved usernames are refused first with
// fail_with (a 200 {success:false, message}); then the user is built with
// the request's address as its ip_address, and a failed save answers 200
// {success:false, message: the full messages joined by newlines
// (login.errors is "%{errors}"), errors: {field: [messages]}}. Active and
// approved are honoured, and external_ids link the new user, taking the
// link from any other user, as Discourse does.
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
	switch {
	case !s.settings.allowNewSignUps:
		downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"success": false, "message": msgNewRegistrationsDisabled})
		return
	case s.reserved(req.Username):
		downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"success": false, "message": msgReservedUsername})
		return
	}
	ip := remoteIP(r)
	if problems := s.invalid(req, ip); len(problems) > 0 {
		writeInvalid(w, req, problems)
		return
	}
	u := s.insert(req, ip)
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{
		"success": true, "active": u.Active, "message": "Your account is activated and ready to use.", "user_id": u.ID,
	})
}

// problem is one validation error: the attribute and its message.
type problem struct{ field, message string }

// fullMessage is Rails' "%{attribute} %{message}" with the attribute
// humanized ("ip_address" -> "Ip address").
func (p problem) fullMessage() string {
	attr := strings.ReplaceAll(p.field, "_", " ")
	return strings.ToUpper(attr[:1]) + attr[1:] + " " + p.message
}

func writeInvalid(w http.ResponseWriter, req createRequest, problems []problem) {
	errs := map[string][]string{}
	var full []string
	for _, p := range problems {
		key := p.field
		if key == "primary_email" { // UsersController#create renames it
			key = "email"
		}
		errs[key] = append(errs[key], p.message)
		full = append(full, p.fullMessage())
	}
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{
		"success": false, "message": strings.Join(full, "\n"), "errors": errs,
		"values": map[string]string{"name": req.Name, "username": req.Username, "email": req.Email},
	})
}

func (s *Server) insert(req createRequest, ip string) *User {
	for provider, uid := range req.ExternalIDs {
		if other := s.byExternal(provider, uid); other != nil {
			delete(other.ExternalIDs, provider)
		}
	}
	s.lastID++
	u := &User{
		ID: s.lastID, Username: req.Username, Name: req.Name, Email: req.Email, Active: req.Active,
		Approved: req.Approved || !s.settings.mustApprove, ExternalIDs: cloneMap(req.ExternalIDs), CreatedAt: time.Now().UTC(),
		IPAddress: ip,
	}
	s.users[u.ID] = u
	return u
}

// invalid runs the validations a new user must pass (User's validators),
// returning every problem, as Rails collects them.
func (s *Server) invalid(req createRequest, ip string) []problem {
	var out []problem
	if p := s.usernameProblem(req.Username); p != "" {
		out = append(out, problem{"username", p})
	} else if s.byUsername(req.Username) != nil {
		out = append(out, problem{"username", "must be unique"})
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Email, req.Email) {
			out = append(out, problem{"primary_email", "has already been taken"})
			break
		}
	}
	if len(req.Password) < 10 {
		out = append(out, problem{"password", "is too short (minimum is 10 characters)"})
	}
	// AllowedIpAddressValidator: a new user is trust level 0.
	if s.preventedFromIP(ip) {
		out = append(out, problem{"ip_address", msgMaxNewAccountsPerIP})
	}
	return out
}

// usernameProblem applies Discourse's UsernameValidator rules that
// coopgate's usernames can trip (user.username.* in server.en.yml):
// Mastodon allows what some of these forbid.
func (s *Server) usernameProblem(username string) string {
	switch n := len([]rune(username)); {
	case n < s.settings.minUsername:
		return "must be at least " + strconv.Itoa(s.settings.minUsername) + " characters"
	case n > s.settings.maxUsername:
		return "must be no more than " + strconv.Itoa(s.settings.maxUsername) + " characters"
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
