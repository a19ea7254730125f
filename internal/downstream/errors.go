package downstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// How much of a response coopgate reads. Error bodies are only mined for a
// message; success bodies are bounded so a misbehaving server cannot make a
// job eat memory.
const (
	maxErrorBody   = 8 << 10
	maxSuccessBody = 8 << 20
	maxMessage     = 300
)

// Kind says whose move a refused call waits for, so that the secretary is
// told what to do and the job runner knows whether to hold the account.
type Kind int

const (
	// KindUnknown: a transport failure, a 5xx, a 429, or a refusal no client
	// has a better word for.
	KindUnknown Kind = iota
	// KindCredentials: the service refused coopgate's key or token, or what
	// that key's user may do. The sysadmin fixes coopgate's configuration or
	// the token on the service.
	KindCredentials
	// KindSetting: one of the service's own settings forbids the call (a
	// per-IP sign-up limit, closed registrations, a username length). Fix
	// names the setting; the account is held and tried again once it changes.
	KindSetting
	// KindRefused: the service will not do it to this account, in its state
	// or at its rank (a moderator's account, an LDAP-blocked user). A person
	// decides, on the service.
	KindRefused
	// KindConflict: the account the service has is not clearly the member's
	// (another email, another coopgate link). The secretary looks.
	KindConflict
)

// Error is a failed call to a downstream service. It carries what the job
// runner needs to decide (Permanent, RetryAfter, Kind) and a message that is
// safe to show the secretary: the service's own error text and what to change,
// never a credential, never the request URL (which can hold a member's email
// address).
type Error struct {
	Service string // "mastodon", "discourse", "gitlab"
	Op      string // what coopgate was doing, e.g. "approve account"
	Status  int    // the HTTP status; 0 when no response came back
	Message string // safe to display
	Kind    Kind
	Fix     string // what to change, and where, when coopgate knows; safe to display

	refused    bool // the service answered 2xx but said no in the body
	retryAfter time.Duration
	err        error // the transport error, for errors.Is/As
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Service)
	if e.Op != "" {
		b.WriteString(": " + e.Op)
	}
	switch {
	case e.Status == 0:
		b.WriteString(": service unreachable")
	case e.refused:
	case e.Kind == KindCredentials:
		fmt.Fprintf(&b, ": HTTP %d (credentials or permissions refused)", e.Status)
	case e.Kind == KindRefused:
		fmt.Fprintf(&b, ": HTTP %d (refused for this account)", e.Status)
	default:
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Fix != "" {
		if !strings.HasSuffix(b.String(), ".") {
			b.WriteString(".")
		}
		b.WriteString(" To fix: " + e.Fix)
	}
	return b.String()
}

// Because says whose move the error waits for, and what to change; it
// returns e, so a client can classify as it returns.
func (e *Error) Because(kind Kind, fix string) *Error {
	e.Kind, e.Fix = kind, fix
	return e
}

// Held says the account waits for a setting on the service to change: no
// retry with backoff can help, but one after the change will.
func (e *Error) Held() bool { return e.Kind == KindSetting }

func (e *Error) Unwrap() error { return e.err }

// Permanent says retrying the same call cannot help: the request or the
// configuration is wrong (4xx other than 408 and 429), or the service refused
// it outright. Network errors and 5xx are temporary.
func (e *Error) Permanent() bool {
	if e.refused {
		return true
	}
	switch {
	case e.Status == 0:
		return false
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests:
		return false
	case e.Status >= 500:
		return false
	}
	return true
}

// RetryAfter is how long the service asked coopgate to wait (429 or 503 with
// Retry-After, or Mastodon's X-RateLimit-Reset); zero when it did not say.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

// Refused builds the error for a service that answered successfully but said
// no in the body (Discourse does this when it will not create a user).
func Refused(service, op, message string) *Error {
	return &Error{Service: service, Op: op, Status: http.StatusOK, Message: clip(message), refused: true}
}

// NetworkError wraps a failed round trip. If the error already is an *Error
// (a transport that classified the response), that one is returned with op
// filled in. The URL is dropped from the message because it can hold an email.
func NetworkError(service, op string, err error) error {
	var de *Error
	if errors.As(err, &de) {
		if de.Op == "" {
			de.Op = op
		}
		return de
	}
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	return &Error{Service: service, Op: op, Message: clip(cause.Error()), err: err}
}

// FromResponse builds an Error from a non-2xx response, reading at most a few
// KiB of its body for the service's message. It closes the body.
func FromResponse(service, op string, resp *http.Response) *Error {
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{Service: service, Op: op, Status: resp.StatusCode, Message: clip(messageFrom(body))}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Message = "the service redirected elsewhere; is base_url right (scheme, host, no extra path)?"
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.retryAfter = ParseRetryAfter(resp.Header, time.Now())
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		e.Kind = KindCredentials // until the service's client, which knows its answers, says otherwise
	}
	return e
}

// IsStatus says err is a service's answer with this HTTP status.
func IsStatus(err error, status int) bool {
	var de *Error
	return errors.As(err, &de) && de.Status == status
}

// AsError is err's *Error, or nil.
func AsError(err error) *Error {
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	return nil
}

// ReadJSON finishes a round trip: a non-2xx answer becomes an *Error, a 2xx
// answer is decoded into out (unless out is nil). It closes the body.
func ReadJSON(service, op string, resp *http.Response, out any) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return FromResponse(service, op, resp)
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxSuccessBody)).Decode(out); err != nil {
		// A 2xx that is not the JSON we expect usually means base_url points
		// at the wrong thing (a login page, a proxy's placeholder).
		return Refused(service, op, "the answer was not the expected JSON; is base_url right?")
	}
	return nil
}

// ParseRetryAfter reads how long to wait from Retry-After (delay-seconds or an
// HTTP-date) or, failing that, from Mastodon's X-RateLimit-Reset (an ISO 8601
// time). It never returns a negative duration.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.Atoi(v); err == nil {
			return max(time.Duration(secs)*time.Second, 0)
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	return 0
}

// messageFrom digs the human message out of the error bodies the three
// services send: Mastodon {"error": "..."}, Discourse {"errors": [...]},
// GitLab {"message": "..."} or {"message": {"field": ["..."]}} or {"error": "..."}.
func messageFrom(body []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return plainText(body)
	}
	for _, key := range []string{"errors", "message", "error", "error_description"} {
		if s := flatten(m[key]); s != "" {
			return s
		}
	}
	return ""
}

func flatten(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return strings.Join(list, "; ")
	}
	var fields map[string][]string
	if json.Unmarshal(raw, &fields) == nil {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			parts = append(parts, k+" "+strings.Join(fields[k], ", "))
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

// plainText keeps a short text body ("Retry later") and drops HTML pages.
func plainText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "<") {
		return ""
	}
	return s
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxMessage {
		return string(r[:maxMessage]) + "…"
	}
	return s
}
