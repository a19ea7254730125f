package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// secretaryBrowser is a browser logged in as an admitted secretary.
func secretaryBrowser(t testing.TB, g *apptest.Gateway) *http.Client {
	t.Helper()
	return g.LoggedIn(t, g.CreateMember(t, "sec@example.coop", "sec", people.RoleSecretary))
}

// TestBadBytesAreRefusedAtTheEdge sends what a hostile client sends: NUL,
// invalid UTF-8, numbers too big for their column, over-long parameters.
// Each is a 400 with a clear message, never a 500; OAuth endpoints answer
// with RFC 6749's JSON error.
func TestBadBytesAreRefusedAtTheEdge(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	sec := secretaryBrowser(t, g)
	long := strings.Repeat("s", 70<<10)
	pages := []struct {
		name, method, path string
		form               url.Values
		browser            *http.Client
	}{
		{"login NUL", "POST", "/login", url.Values{"email": {"a\x00@example.coop"}, "password": {"x"}}, nil},
		{"login bad UTF-8", "POST", "/login", url.Values{"email": {"\xff@example.coop"}, "password": {"x"}}, nil},
		{"sign-up NUL", "POST", "/signup", url.Values{"name": {"A\x00"}, "email": {"a@example.coop"}, "username": {"a"}, "password": {"long enough password"}}, nil},
		{"sign-up bad UTF-8", "POST", "/signup", url.Values{"name": {"\xc3\x28"}, "email": {"a@example.coop"}, "username": {"a"}, "password": {"long enough password"}}, nil},
		{"forgot NUL", "POST", "/password/forgot", url.Values{"email": {"a@exa\x00mple.coop"}}, nil},
		{"policy version NUL", "GET", "/policies/free-speech/1%00", nil, nil},
		{"policy id bad UTF-8", "GET", "/policies/%ff/1", nil, nil},
		{"static bad UTF-8", "GET", "/static/%ff", nil, nil},
		{"admin people filter NUL", "GET", "/admin/people?q=%00", nil, sec},
		{"admin register filter bad UTF-8", "GET", "/admin/register?q=%ff", nil, sec},
		{"admin audit action NUL", "GET", "/admin/audit?action=%00", nil, sec},
		{"admin audit before over int64", "GET", "/admin/audit?before=99999999999999999999", nil, sec},
		{"admin audit before not a number", "GET", "/admin/audit?before=x", nil, sec},
		{"over-long query parameter", "GET", "/login?id=" + strings.Repeat("a", 3000), nil, nil},
		// A person's browser is at /authorize: an over-long state is refused
		// with a page rather than echoed into the relying party's Location.
		{"authorize over-long state", "GET", "/authorize?client_id=rp&response_type=code&scope=openid&redirect_uri=" +
			url.QueryEscape(apptest.RedirectURI) + "&state=" + long, nil, nil},
	}
	for _, tt := range pages {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.browser
			if b == nil {
				b = apptest.Browser(t)
			}
			var resp *http.Response
			var body string
			if tt.method == "GET" {
				resp, body = apptest.Get(t, b, g.URL+tt.path)
			} else {
				_, page := apptest.Get(t, b, g.URL+tt.path)
				resp, body = apptest.Submit(t, b, g.URL+tt.path, page, tt.path, tt.form)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s %.80s = %d, want 400\n%s", tt.method, tt.path, resp.StatusCode, body)
			}
			if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<main") {
				t.Errorf("a page's 400 is not an HTML page: %s\n%s", resp.Header.Get("Content-Type"), body)
			}
		})
	}

	// An event id past int4 is an id like any other: the page just starts there.
	resp, body := apptest.Get(t, sec, g.URL+"/admin/audit?before=2147483648")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "person.enrol") {
		t.Errorf("/admin/audit?before=2147483648 = %d; want 200 listing the events before it\n%s", resp.StatusCode, body)
	}

	oauth := []struct{ name, method, path, body string }{
		{"token bad UTF-8", "POST", "/oauth/token", "grant_type=authorization_code&code=%ff%fe"},
		{"revoke NUL", "POST", "/revoke", "token=a%00b"},
		{"introspect over-long", "POST", "/oauth/introspect", "token=" + strings.Repeat("t", 20<<10)},
		{"userinfo bad UTF-8", "GET", "/userinfo?x=%ff", ""},
		{"end_session NUL", "GET", "/end_session?post_logout_redirect_uri=%00", ""},
	}
	for _, tt := range oauth {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, g.URL+tt.path, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := apptest.Browser(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			decodeErr := json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != http.StatusBadRequest || decodeErr != nil || e.Error != "invalid_request" || e.Description == "" {
				t.Fatalf("%s %s = %d %+v (%v); want 400 invalid_request with a description", tt.method, tt.path[:min(len(tt.path), 80)], resp.StatusCode, e, decodeErr)
			}
			if loc := resp.Header.Get("Location"); len(loc) > 4096 {
				t.Errorf("a %d-byte Location", len(loc))
			}
		})
	}
}
