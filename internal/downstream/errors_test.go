package downstream_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
)

func response(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func TestFromResponse(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		permanent bool
		message   string
	}{
		{"mastodon 401", 401, `{"error":"The access token is invalid"}`, true, "The access token is invalid"},
		{"discourse 403", 403, `{"errors":["You are not permitted."],"error_type":"invalid_access"}`, true, "You are not permitted."},
		{"gitlab 409", 409, `{"message":"Email has already been taken"}`, true, "Email has already been taken"},
		{"gitlab 400 fields", 400, `{"message":{"username":["is too long"],"email":["is invalid"]}}`, true, "email is invalid; username is too long"},
		{"404", 404, `{"error":"Record not found"}`, true, "Record not found"},
		{"408 is temporary", 408, ``, false, "Request Timeout"},
		{"429 is temporary", 429, `Retry later`, false, "Retry later"},
		{"500 html page", 500, `<!DOCTYPE html><p>oops</p>`, false, "Internal Server Error"},
		{"502", 502, ``, false, "Bad Gateway"},
		{"redirect", 302, ``, true, "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := downstream.FromResponse("svc", "do thing", response(tt.status, nil, tt.body))
			if e.Status != tt.status || e.Permanent() != tt.permanent {
				t.Errorf("status %d permanent %v, want %d %v", e.Status, e.Permanent(), tt.status, tt.permanent)
			}
			if !strings.Contains(e.Error(), tt.message) || !strings.HasPrefix(e.Error(), "svc: do thing: HTTP ") {
				t.Errorf("Error() = %q, want it to name the service, the op, and %q", e.Error(), tt.message)
			}
		})
	}
}

func TestFromResponseReadsABoundedBody(t *testing.T) {
	huge := `{"error":"` + strings.Repeat("x", 1<<20) + `"}`
	e := downstream.FromResponse("svc", "op", response(500, nil, huge))
	if len(e.Message) > 1000 {
		t.Errorf("message is %d bytes long", len(e.Message))
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"seconds", http.Header{"Retry-After": {"120"}}, 2 * time.Minute},
		{"http date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"negative seconds", http.Header{"Retry-After": {"-5"}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"mastodon reset", http.Header{"X-Ratelimit-Reset": {"2026-03-01T12:05:00.000000Z"}}, 5 * time.Minute},
		{"retry-after wins", http.Header{"Retry-After": {"7"}, "X-Ratelimit-Reset": {"2026-03-01T12:05:00Z"}}, 7 * time.Second},
		{"none", http.Header{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := downstream.ParseRetryAfter(tt.header, now); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRetryAfterOnlyOnRateLimitOrUnavailable(t *testing.T) {
	h := http.Header{"Retry-After": {"30"}}
	for status, want := range map[int]time.Duration{429: 30 * time.Second, 503: 30 * time.Second, 500: 0, 400: 0} {
		if got := downstream.FromResponse("svc", "op", response(status, h, "")).RetryAfter(); got != want {
			t.Errorf("%d: RetryAfter = %v, want %v", status, got, want)
		}
	}
}

func TestNetworkErrorHidesTheURL(t *testing.T) {
	cause := errors.New("connection refused")
	err := downstream.NetworkError("gitlab", "find user", &url.Error{Op: "Get", URL: "https://git.example.coop/api/v4/users?search=ann@example.coop", Err: cause})
	var de *downstream.Error
	if !errors.As(err, &de) || de.Permanent() || de.Status != 0 {
		t.Fatalf("got %#v, want a temporary *Error", err)
	}
	if strings.Contains(err.Error(), "ann@example.coop") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Error() = %q", err.Error())
	}
	if !errors.Is(err, cause) {
		t.Error("the cause is not reachable with errors.Is")
	}
}

func TestNetworkErrorKeepsAClassifiedError(t *testing.T) {
	inner := downstream.FromResponse("mastodon", "", response(429, http.Header{"Retry-After": {"9"}}, ""))
	err := downstream.NetworkError("mastodon", "approve", fmt.Errorf("wrapped: %w", &url.Error{Op: "Post", URL: "u", Err: inner}))
	var de *downstream.Error
	if !errors.As(err, &de) || de != inner || de.Op != "approve" || de.RetryAfter() != 9*time.Second {
		t.Errorf("got %#v, want the inner error with its op filled in", err)
	}
}

func TestReadJSON(t *testing.T) {
	var out struct{ ID int }
	if err := downstream.ReadJSON("svc", "op", response(200, nil, `{"ID":7}`), &out); err != nil || out.ID != 7 {
		t.Errorf("decode: %v, %+v", err, out)
	}
	err := downstream.ReadJSON("svc", "op", response(200, nil, `<html>login</html>`), &out)
	var de *downstream.Error
	if !errors.As(err, &de) || !de.Permanent() || !strings.Contains(err.Error(), "base_url") {
		t.Errorf("an HTML 200: %v", err)
	}
	if err := downstream.ReadJSON("svc", "op", response(204, nil, ``), nil); err != nil {
		t.Errorf("an empty 204 with nothing to decode: %v", err)
	}
}

func TestRefusedIsPermanent(t *testing.T) {
	e := downstream.Refused("discourse", "create user", "Username must be at most 20 characters")
	if !e.Permanent() || e.Error() != "discourse: create user: Username must be at most 20 characters" {
		t.Errorf("got %q permanent=%v", e.Error(), e.Permanent())
	}
}

func TestParseBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://forum.example.coop/":        "https://forum.example.coop",
		"https://example.coop/forum/":        "https://example.coop/forum",
		" http://localhost:3000 ":            "http://localhost:3000",
		"forum.example.coop":                 "",
		"ftp://forum.example.coop":           "",
		"https://user:pw@forum.example.coop": "",
		"https://forum.example.coop/?a=b":    "",
	} {
		u, err := downstream.ParseBaseURL(raw)
		switch {
		case want == "" && err == nil:
			t.Errorf("%q: accepted", raw)
		case want != "" && (err != nil || u.String() != want):
			t.Errorf("%q: got %v, %v; want %s", raw, u, err, want)
		case err != nil && strings.Contains(err.Error(), "pw"):
			t.Errorf("%q: error repeats the value: %v", raw, err)
		}
	}
}
