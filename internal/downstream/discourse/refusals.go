package discourse

import (
	"net/http"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream"
)

// createAnswer is POST /users.json's answer. A refusal is a 200 with
// success false: fail_with's {message} for closed registrations and
// reserved usernames, or a failed save's {message, errors: {field: [...]}}
// (UsersController#create, app/controllers/users_controller.rb).
type createAnswer struct {
	Success bool                `json:"success"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
	UserID  *int                `json:"user_id"`
}

// Discourse's words for the refusals coopgate can name the cause of
// (config/locales/server.en.yml).
const (
	msgRegistrationsClosed = "New account registrations are not allowed at this time." // login.new_registrations_disabled
	msgReservedUsername    = "That username is not allowed."                           // login.reserved_username
	msgMaxNewPerIP         = "maximum limit reached"                                   // …ip_address.max_new_accounts_per_registration_ip
)

// What to change on Discourse for each refusal that one of its settings causes.
const (
	fixRegistrationsClosed = "turn on the Discourse site setting allow_new_registrations (Admin → Settings → Login): " +
		"Discourse refuses every new account without it, even an admin's API key"
	fixNewAccountsPerIP = "Discourse allows only max_new_accounts_per_registration_ip (default 3) new accounts from one " +
		"address, and every account coopgate makes comes from coopgate's address. Either add coopgate's address under " +
		"Admin → Logs → Screened IPs with the action Allow (Discourse shows the address on any member coopgate created, " +
		"Admin → Users → the user → IP address), or set max_new_accounts_per_registration_ip to 0"
	fixBlockedIP = "coopgate's address is blocked under Admin → Logs → Screened IPs: remove that rule or change it to Allow"
	fixReserved  = "the name is in Discourse's site setting reserved_usernames (Admin → Settings → Users): take it out " +
		"of that list, or give this member a forum account by hand"
	fixUsernameLength = "set the Discourse site settings min_username_length to 1 and max_username_length to 30 " +
		"(Admin → Settings → Users), the lengths coopgate's usernames can have"
)

// refusal turns a refused sign-up into an error that says what to change:
// a setting (the account waits for it), a username Discourse's rules forbid,
// or a username taken by another forum user.
func (a createAnswer) refusal() *downstream.Error {
	e := downstream.Refused(name, "create user", a.Message)
	ip, username := strings.Join(a.Errors["ip_address"], " "), strings.Join(a.Errors["username"], " ")
	switch {
	case a.Message == msgRegistrationsClosed:
		return e.Because(downstream.KindSetting, fixRegistrationsClosed)
	case a.Message == msgReservedUsername:
		return e.Because(downstream.KindSetting, fixReserved)
	case strings.Contains(ip, msgMaxNewPerIP):
		return e.Because(downstream.KindSetting, fixNewAccountsPerIP)
	case ip != "":
		return e.Because(downstream.KindSetting, fixBlockedIP)
	case strings.Contains(username, "characters") && !strings.Contains(username, "include"):
		return e.Because(downstream.KindSetting, fixUsernameLength)
	case strings.Contains(username, "unique"):
		return e.Because(downstream.KindConflict, "a forum user who is not linked to this member has the username: "+
			"if it is the member's, make its email the member's coopgate address, then press Retry; if not, rename one of them")
	case username != "":
		return e.Because(downstream.KindRefused, "Discourse's username rules forbid this name: give the member a forum account by hand")
	}
	return e
}

// explain says what to change when Discourse refuses coopgate's key: a
// wrong key or api_username (a 403 whose message says so, from
// ApplicationController's invalid_access), or a key that does not act as
// an admin (a bare 403 from UsersController#create while local logins are
// off, or invalid_access from an admin route).
func explain(err error) error {
	de := downstream.AsError(err)
	switch {
	case de == nil || de.Status != http.StatusForbidden || de.Kind != downstream.KindCredentials:
	case keyInvalid(de):
		de.Fix = "check downstream.discourse.api_key (COOPGATE_DISCOURSE_API_KEY) and api_username, and that the key is not revoked"
	default:
		de.Fix = "the key must act as a Discourse admin: make api_username an admin, with a global (or single-user) key of that admin"
	}
	return err
}

func keyInvalid(de *downstream.Error) bool {
	return strings.Contains(de.Message, "API username or key is invalid")
}

// staffRefusal is the 403 Discourse gives when asked to suspend an admin or
// a moderator (Guardian#can_suspend? in lib/guardian.rb needs a regular user).
func staffRefusal(err error) error {
	de := downstream.AsError(err)
	if de == nil || de.Status != http.StatusForbidden || keyInvalid(de) {
		return err
	}
	return de.Because(downstream.KindRefused, "Discourse does not let anyone suspend an admin or a moderator: remove the "+
		"user's staff role in Discourse (Admin → Users → the user), then press Retry; or leave them be")
}
