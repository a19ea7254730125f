package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// pageRoute is a page the fuzzer drives: it puts a and b where a hostile
// client would, in the path, the query or the form.
type pageRoute struct {
	method string
	target func(a, b string) string
	form   func(a, b string) url.Values // nil for a GET
	admin  bool                         // sent by the logged-in secretary
}

var esc = url.PathEscape

var fuzzedPages = []pageRoute{
	{"POST", func(a, b string) string { return "/login" }, func(a, b string) url.Values { return url.Values{"email": {a}, "password": {b}} }, false},
	{"POST", func(a, b string) string { return "/signup" }, func(a, b string) url.Values {
		return url.Values{"name": {a}, "email": {b}, "username": {"fuzzed"}, "password": {"a long enough password"},
			"membership_number": {a}, "note": {a}, "accept": acceptAll}
	}, false},
	{"POST", func(a, b string) string { return "/password/forgot" }, func(a, b string) url.Values { return url.Values{"email": {a}, "id": {b}} }, false},
	{"POST", func(a, b string) string { return "/password/reset" }, func(a, b string) url.Values { return url.Values{"token": {a}, "password": {b}} }, false},
	{"POST", func(a, b string) string { return "/verify" }, func(a, b string) url.Values { return url.Values{"token": {a}} }, false},
	{"GET", func(a, b string) string { return "/verify?token=" + url.QueryEscape(a) }, nil, false},
	{"GET", func(a, b string) string { return "/policies/" + esc(a) + "/" + esc(b) }, nil, false},
	{"GET", func(a, b string) string { return "/policies/" + esc(a) }, nil, false},
	{"GET", func(a, b string) string { return "/static/" + esc(a) }, nil, false},
	{"GET", func(a, b string) string { return "/login?id=" + url.QueryEscape(a) }, nil, false},
	{"GET", func(a, b string) string { return "/signup?" + a }, nil, false},
	{"GET", func(a, b string) string {
		return "/admin/people?" + url.Values{"q": {a}, "status": {b}, "role": {a}, "page": {b}}.Encode()
	}, nil, true},
	{"GET", func(a, b string) string {
		return "/admin/register?" + url.Values{"q": {a}, "standing": {b}, "page": {b}, "imported": {a}, "added": {b}}.Encode()
	}, nil, true},
	{"GET", func(a, b string) string {
		return "/admin/audit?" + url.Values{"action": {a}, "actor": {b}, "subject": {a}, "before": {b}}.Encode()
	}, nil, true},
	{"GET", func(a, b string) string { return "/admin/people/" + esc(a) }, nil, true},
	{"GET", func(a, b string) string { return "/admin/applications?" + url.Values{"page": {a}}.Encode() }, nil, true},
	{"POST", func(a, b string) string { return "/admin/applications/" + esc(a) + "/reject" }, func(a, b string) url.Values { return url.Values{"reason": {b}} }, true},
	{"POST", func(a, b string) string { return "/admin/domains" }, func(a, b string) url.Values { return url.Values{"domain": {a}, "reason": {b}} }, true},
	{"GET", func(a, b string) string { return "/admin/domains/" + esc(a) + "/remove" }, nil, true},
	{"POST", func(a, b string) string { return "/login" }, func(a, b string) url.Values { return url.Values{"email": {b}, "password": {b}, "id": {a}} }, false},
	{"POST", func(a, b string) string { return "/signup" }, func(a, b string) url.Values { return url.Values{"id": {a}} }, false},
	{"POST", func(a, b string) string { return "/login/passkey" }, func(a, b string) url.Values { return url.Values{"credential": {a}, "id": {b}} }, false},
	{"POST", func(a, b string) string { return "/login/second-factor" }, func(a, b string) url.Values { return url.Values{"code": {a}, "id": {b}, "next": {b}} }, false},
	{"POST", func(a, b string) string { return "/login/second-factor/recovery" }, func(a, b string) url.Values { return url.Values{"recovery_code": {a}, "id": {b}} }, false},
	{"POST", func(a, b string) string { return "/account/passkeys" }, func(a, b string) url.Values { return url.Values{"name": {a}, "credential": {b}} }, true},
	{"POST", func(a, b string) string { return "/account/totp" }, func(a, b string) url.Values { return url.Values{"code": {a}} }, true},
	{"POST", func(a, b string) string { return "/account/passkeys/" + esc(a) + "/remove" }, func(a, b string) url.Values { return url.Values{} }, true},
	{"POST", func(a, b string) string { return "/admin/people/" + esc(a) + "/second-factor/reset" }, func(a, b string) url.Values { return url.Values{} }, true},
	{"GET", func(a, b string) string { return "/login/second-factor?" + url.Values{"id": {a}, "next": {b}}.Encode() }, nil, false},
}

// acceptAll ticks every policy box of the sign-up form, so that a fuzzed
// sign-up gets past the form's checks to the database.
var acceptAll []string

// FuzzPages sends arbitrary text through every kind of page input, on a real
// gateway and database, as the anonymous visitor and as the secretary: no
// answer may be a 5xx. The seeds (the requests that once answered 500) run
// in `go test`; `make fuzz` explores further.
func FuzzPages(f *testing.F) {
	seeds := []struct {
		route int
		a, b  string
	}{
		{0, "a\x00@example.coop", "x"}, {0, "\xff@example.coop", "x"},
		{1, "A\x00", "a@example.coop"}, {1, "\xc3\x28", "b@example.coop"},
		{2, "a@exa\x00mple.coop", ""}, {3, "\xff", "new password 123"}, {4, "\x00", ""}, {5, "\xfe", ""},
		{6, "free-speech", "1\x00"}, {6, "\xff", "1"}, {7, "\x00", ""}, {8, "\xff", ""},
		{9, strings.Repeat("a", 3000), ""}, {10, "a=%zz", ""},
		{11, "\x00", "99999999999999999999"}, {12, "\xff", "ceased"},
		{13, "application.", "2147483648"}, {13, "\x00", "-1"}, {13, "x", "x@\xff"},
		{14, "not-a-uuid", ""}, {14, "\x00", ""}, {15, "9223372036854775807", ""},
		{16, "99999999999", "no"}, {16, "1\x00", "why"}, {17, "\xff.coop", "x"}, {18, "example.coop\x00", ""},
		{19, "\x00", "a@example.coop"}, {20, "\xff", ""},
		{21, `{"id":"x","rawId":"\u0000","type":"public-key","response":{}}`, ""}, {21, "not json", "not-a-uuid"},
		{22, "123456", "\x00"}, {23, strings.Repeat("0", 5000), ""}, {24, "Phone \x00", `{"response":{"attestationObject":"!!"}}`},
		{24, strings.Repeat("é", 61), "{}"}, {25, "99999999", ""}, {26, "9223372036854775808", ""}, {26, "-1", ""},
		{27, "not-a-uuid", ""}, {27, "00000000-0000-0000-0000-000000000000", ""}, {28, "x", "//evil.example/"},
	}
	for _, s := range seeds {
		f.Add(s.route, s.a, s.b)
	}
	g := apptest.Start(f)
	sec := secretaryBrowser(f, g)
	visitor := apptest.Browser(f)
	visitorToken, secToken := csrfToken(f, visitor, g.URL), csrfToken(f, sec, g.URL)
	_, signUpPage := apptest.Get(f, visitor, g.URL+"/signup")
	for _, m := range regexp.MustCompile(`name="accept" value="([^"]+)"`).FindAllStringSubmatch(signUpPage, -1) {
		acceptAll = append(acceptAll, m[1])
	}
	f.Fuzz(func(t *testing.T, route int, a, b string) {
		if route < 0 {
			route = -route
		}
		rt := fuzzedPages[route%len(fuzzedPages)]
		browser, token := visitor, visitorToken
		if rt.admin {
			browser, token = sec, secToken
		}
		var body string
		if rt.form != nil {
			form := rt.form(a, b)
			form.Set("csrf_token", token)
			body = form.Encode()
		}
		req, err := http.NewRequest(rt.method, g.URL+rt.target(a, b), strings.NewReader(body))
		if err != nil {
			return // not a request a server could receive
		}
		if rt.form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", g.URL)
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", rt.method, req.URL, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %.200s with %q, %q answered %d", rt.method, req.URL, a, b, resp.StatusCode)
		}
	})
}

// csrfToken is the form token a browser's pages carry.
func csrfToken(t testing.TB, b *http.Client, base string) string {
	t.Helper()
	_, body := apptest.Get(t, b, base+"/password/forgot")
	form, err := apptest.FindForm(body, "/password/forgot")
	if err != nil {
		t.Fatal(err)
	}
	return form.Values.Get("csrf_token")
}
