package discoursetest

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

// siteSettings are the site settings the fake obeys, with Discourse's
// defaults from config/site_settings.yml.
type siteSettings struct {
	mustApprove       bool   // must_approve_users (default false; the fake starts with it on)
	allowNewSignUps   bool   // allow_new_registrations (default true)
	maxNewPerIP       int    // max_new_accounts_per_registration_ip (default 3)
	hideReasons       bool   // hide_suspension_reasons (default false)
	minUsername       int    // min_username_length (default 3)
	maxUsername       int    // max_username_length (default 20)
	reservedUsernames string // reserved_usernames, "|"-separated, "*" a wildcard
	enableLocalLogins bool   // enable_local_logins (default true)
}

func defaultSettings() siteSettings {
	return siteSettings{
		mustApprove: true, allowNewSignUps: true, maxNewPerIP: 3, minUsername: 3, maxUsername: 20, enableLocalLogins: true,
		reservedUsernames: "admin|moderator|administrator|mod|sys|system|community|info|you|name|username|user|nickname|" +
			"discourse|discourseorg|discourseforum|support|all|here",
	}
}

// SetMustApproveUsers mirrors must_approve_users: off, Discourse neither
// sends nor needs "approved".
func (s *Server) SetMustApproveUsers(on bool) { s.set(func(st *siteSettings) { st.mustApprove = on }) }

// SetMaxUsernameLength mirrors max_username_length.
func (s *Server) SetMaxUsernameLength(n int) { s.set(func(st *siteSettings) { st.maxUsername = n }) }

// SetMinUsernameLength mirrors min_username_length.
func (s *Server) SetMinUsernameLength(n int) { s.set(func(st *siteSettings) { st.minUsername = n }) }

// SetAllowNewRegistrations mirrors allow_new_registrations.
func (s *Server) SetAllowNewRegistrations(on bool) {
	s.set(func(st *siteSettings) { st.allowNewSignUps = on })
}

// SetMaxNewAccountsPerIP mirrors max_new_accounts_per_registration_ip; 0
// turns the limit off.
func (s *Server) SetMaxNewAccountsPerIP(n int) { s.set(func(st *siteSettings) { st.maxNewPerIP = n }) }

// SetHideSuspensionReasons mirrors hide_suspension_reasons.
func (s *Server) SetHideSuspensionReasons(on bool) {
	s.set(func(st *siteSettings) { st.hideReasons = on })
}

// SetReservedUsernames mirrors reserved_usernames ("a|b|c*").
func (s *Server) SetReservedUsernames(list string) {
	s.set(func(st *siteSettings) { st.reservedUsernames = list })
}

// AllowIP adds an address under Admin → Logs → Screened IPs with the
// action "allow", which SpamHandler exempts from the per-IP limit.
func (s *Server) AllowIP(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowedIPs[ip] = true
}

func (s *Server) set(change func(*siteSettings)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	change(&s.settings)
}

// listSettings is GET /admin/site_settings.json
// (Admin::SiteSettingsController#index: SiteSetting.all_settings, each
// value as a string).
func (s *Server) listSettings(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st := s.settings
	s.mu.Unlock()
	entry := func(name, typ, value, def string) map[string]any {
		return map[string]any{"setting": name, "type": typ, "value": value, "default": def, "category": "", "description": ""}
	}
	b, i := strconv.FormatBool, strconv.Itoa
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{"site_settings": []map[string]any{
		entry("must_approve_users", "bool", b(st.mustApprove), "false"),
		entry("enable_local_logins", "bool", b(st.enableLocalLogins), "true"),
		entry("allow_new_registrations", "bool", b(st.allowNewSignUps), "true"),
		entry("min_username_length", "integer", i(st.minUsername), "3"),
		entry("max_username_length", "integer", i(st.maxUsername), "20"),
		entry("reserved_usernames", "list", st.reservedUsernames, defaultSettings().reservedUsernames),
		entry("hide_suspension_reasons", "bool", b(st.hideReasons), "false"),
		entry("max_new_accounts_per_registration_ip", "integer", i(st.maxNewPerIP), "3"),
	}})
}

// remoteIP is request.remote_ip: what Discourse stores as a new user's
// ip_address (UsersController#user_params merges it in; an API caller
// cannot set it).
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// preventedFromIP is SpamHandler.should_prevent_registration_from_ip?
// (lib/spam_handler.rb), which AllowedIpAddressValidator applies to every
// new trust-level-0 user, API-made ones included: with the limit on, no
// trust-level-2 or staff user from the address, and the address not allowed
// under Screened IPs, the limit-th trust-level-0 user from one address is
// refused.
func (s *Server) preventedFromIP(ip string) bool {
	if s.settings.maxNewPerIP <= 0 || s.allowedIPs[ip] {
		return false
	}
	tl0 := 0
	for _, u := range s.users {
		switch {
		case u.IPAddress != ip:
		case u.TrustLevel >= 2 || u.staff():
			return false
		case u.TrustLevel == 0:
			tl0++
		}
	}
	return tl0 >= s.settings.maxNewPerIP
}

// reserved is User.reserved_username? (app/models/user.rb): here_mention
// ("here"), then reserved_usernames with "*" as a wildcard, ignoring case.
func (s *Server) reserved(username string) bool {
	name := strings.ToLower(username)
	if name == "here" {
		return true
	}
	for _, r := range strings.Split(s.settings.reservedUsernames, "|") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		pattern := `(?i)\A` + strings.ReplaceAll(regexp.QuoteMeta(r), `\*`, ".*") + `\z`
		if regexp.MustCompile(pattern).MatchString(name) {
			return true
		}
	}
	return false
}
