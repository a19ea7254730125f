package mastodontest

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/downstreamtest"
)

// list is GET /api/v2/admin/accounts: filters, newest first, pages of
// `limit` (default 100, at most 200) with a Link rel="next" whenever a page
// is full, as Mastodon does.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	keep, bad := filter(q)
	if bad != "" {
		mastodonError(w, http.StatusBadRequest, bad)
		return
	}
	limit := 100
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		limit = min(n, 200)
	}
	page := s.page(keep, q.Get("max_id"), limit)
	if len(page) == limit {
		w.Header().Set("Link", nextLink(r, page[len(page)-1]["id"].(string)))
	}
	downstreamtest.WriteJSON(w, http.StatusOK, page)
}

func (s *Server) page(keep func(Account) bool, maxID string, limit int) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []Account
	for _, a := range s.accounts {
		if keep(*a) && (maxID == "" || idLess(a.ID, maxID)) {
			all = append(all, *a)
		}
	}
	slices.SortFunc(all, func(a, b Account) int { return cmpID(b.ID, a.ID) })
	out := []map[string]any{}
	for _, a := range all[:min(limit, len(all))] {
		out = append(out, entity(a))
	}
	return out
}

func nextLink(r *http.Request, lastID string) string {
	q := r.URL.Query()
	q.Set("max_id", lastID)
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return "<" + u.String() + `>; rel="next"`
}

// filter builds the AccountFilter Mastodon applies. username and email are
// case-insensitive SQL LIKE prefix matches, where "_" and "%" are wildcards.
func filter(q url.Values) (func(Account) bool, string) {
	var tests []func(Account) bool
	switch q.Get("origin") {
	case "", "local":
	case "remote":
		tests = append(tests, func(Account) bool { return false }) // the fake holds local accounts only
	default:
		return nil, "Unknown origin: " + q.Get("origin")
	}
	if st := q.Get("status"); st != "" {
		test, ok := statusTest(st)
		if !ok {
			return nil, "Unknown status: " + st
		}
		tests = append(tests, test)
	}
	if v := q.Get("username"); v != "" {
		re := likePrefix(v)
		tests = append(tests, func(a Account) bool { return re.MatchString(a.Username) })
	}
	if v := q.Get("email"); v != "" {
		re := likePrefix(v)
		tests = append(tests, func(a Account) bool { return re.MatchString(a.Email) })
	}
	return func(a Account) bool {
		for _, t := range tests {
			if !t(a) {
				return false
			}
		}
		return true
	}, ""
}

func statusTest(status string) (func(Account) bool, bool) {
	switch status {
	case "active":
		return func(a Account) bool { return !a.Suspended }, true
	case "pending":
		return func(a Account) bool { return !a.Approved }, true
	case "suspended":
		return func(a Account) bool { return a.Suspended }, true
	case "disabled":
		return func(a Account) bool { return a.Disabled && !a.Suspended }, true
	case "silenced", "sensitized":
		return func(Account) bool { return false }, true
	}
	return nil, false
}

func likePrefix(v string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range v {
		switch r {
		case '_':
			b.WriteString(".")
		case '%':
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return regexp.MustCompile(b.String())
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, func(*Account) (int, string) { return http.StatusOK, "" })
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, func(a *Account) (int, string) {
		if a.Approved {
			return http.StatusForbidden, "This action is not allowed"
		}
		a.Approved = true
		return http.StatusOK, ""
	})
}

func (s *Server) unsuspend(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, func(a *Account) (int, string) {
		if !a.Suspended {
			return http.StatusForbidden, "This action is not allowed"
		}
		a.Suspended, a.SuspendReason = false, ""
		return http.StatusOK, ""
	})
}

// reject deletes a pending sign-up, answering with the account as it was.
func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[r.PathValue("id")]
	switch {
	case !ok:
		mastodonError(w, http.StatusNotFound, "Record not found")
	case a.Approved:
		mastodonError(w, http.StatusForbidden, "This action is not allowed")
	default:
		delete(s.accounts, a.ID)
		downstreamtest.WriteJSON(w, http.StatusOK, entity(*a))
	}
}

// action is POST .../action (Admin::AccountAction). Every type first needs
// AccountPolicy#warn?/suspend?: the Manage Users or Manage Reports
// permission and a role that overrides the target's (role.overrides?: a
// higher position), else 403 "This action is not allowed". Every action
// records a strike (process_strike!), and mails the owner unless
// send_email_notification is false (Admin::BaseAction#warnable?). Mastodon
// lets a moderator suspend an account that is already suspended, logging a
// second strike; so does the fake.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	typ, text := r.FormValue("type"), r.FormValue("text")
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[r.PathValue("id")]
	switch {
	case !ok:
		mastodonError(w, http.StatusNotFound, "Record not found")
		return
	case !slices.Contains([]string{"none", "disable", "sensitive", "silence", "suspend"}, typ):
		mastodonError(w, http.StatusUnprocessableEntity, "Validation failed: Type is not included in the list")
		return
	case !s.manageUsers || rolePositions[s.tokenRole] <= rolePositions[a.Role]:
		mastodonError(w, http.StatusForbidden, notAllowed)
		return
	}
	switch typ {
	case "suspend":
		a.Suspended, a.SuspendReason = true, text
		a.SuspendMailed = railsTrue(r.Form, "send_email_notification")
		s.suspensions[a.ID]++
	case "disable":
		a.Disabled = true
	}
	s.strikes[a.ID]++
	downstreamtest.WriteJSON(w, http.StatusOK, map[string]any{})
}

// railsTrue reads a boolean parameter as ActiveModel::Type::Boolean casts
// it for an attribute that defaults to true: absent is true, the "false"
// spellings and an empty value are not.
func railsTrue(form url.Values, key string) bool {
	v, ok := form[key]
	if !ok || len(v) == 0 {
		return true
	}
	return !slices.Contains([]string{"", "0", "f", "F", "false", "FALSE", "off", "OFF"}, v[0])
}

// update runs change on the account named in the path and answers with the
// Admin::Account entity, or with the error change returns.
func (s *Server) update(w http.ResponseWriter, r *http.Request, change func(*Account) (int, string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[r.PathValue("id")]
	if !ok {
		mastodonError(w, http.StatusNotFound, "Record not found")
		return
	}
	if status, msg := change(a); status != http.StatusOK {
		mastodonError(w, status, msg)
		return
	}
	downstreamtest.WriteJSON(w, http.StatusOK, entity(*a))
}

// SignedWebhook builds the webhook delivery Mastodon would send for event
// about account id, and its X-Hub-Signature value under secret.
func (s *Server) SignedWebhook(secret []byte, event, id string) (body []byte, signature string) {
	a, _ := s.Account(id)
	body, _ = json.Marshal(map[string]any{
		"event":      event,
		"created_at": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"object":     entity(a),
	})
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return body, "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// entity renders Mastodon's Admin::Account (4.x) for a local account.
func entity(a Account) map[string]any {
	created := a.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z")
	return map[string]any{
		"id": a.ID, "username": a.Username, "domain": nil, "created_at": created,
		"email": a.Email, "ip": "192.0.2.1", "role": map[string]any{"id": "-99", "name": "", "permissions": "65536"},
		"confirmed": a.Confirmed, "suspended": a.Suspended, "silenced": false, "sensitized": false,
		"disabled": a.Disabled, "approved": a.Approved, "locale": "en", "invite_request": nil,
		"ips": []map[string]string{{"ip": "192.0.2.1", "used_at": created}},
		"account": map[string]any{
			"id": a.ID, "username": a.Username, "acct": a.Username, "display_name": "",
			"locked": false, "bot": false, "discoverable": nil, "group": false, "created_at": created,
			"note": "", "url": "https://social.example.coop/@" + a.Username, "followers_count": 0,
			"following_count": 0, "statuses_count": 0, "emojis": []any{}, "fields": []any{},
		},
	}
}

// Mastodon ids are numeric strings; compare them as numbers.
func cmpID(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

func idLess(a, b string) bool { return cmpID(a, b) < 0 }
