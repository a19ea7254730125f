package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/web/page"
	"github.com/coopgate/coopgate/web"
)

func testRenderer(t testing.TB) *page.Renderer {
	t.Helper()
	rd, err := page.NewRenderer(web.Templates, config.Coop{Name: "Test Co-op"}, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

// textSink stands in for a handler that stores what it is given in
// PostgreSQL text columns: it fails as PostgreSQL would (SQLSTATE 22021) on
// NUL or invalid UTF-8, and on anything longer than the edge allows.
func textSink(t testing.TB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(maxFormField); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			t.Errorf("the handler could not parse a form the edge let through: %v", err)
		}
		texts := []string{r.URL.Path, r.UserAgent()}
		if mf := r.MultipartForm; mf != nil {
			for name, files := range mf.File {
				texts = append(texts, name)
				for _, f := range files {
					texts = append(texts, f.Filename)
				}
			}
		}
		for name, vs := range r.Form {
			if len(name) > maxName {
				t.Errorf("a %d-byte parameter name reached the handler", len(name))
			}
			for _, v := range vs {
				if len(v) > maxToken {
					t.Errorf("a %d-byte value of %q reached the handler", len(v), name)
				}
			}
			texts = append(texts, name)
			texts = append(texts, vs...)
		}
		if r.URL.Path == authorizePath {
			texts = texts[:2] // the provider answers bad text there (internal/app's FuzzOAuthEndpoints)
		}
		for _, s := range texts {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				http.Error(w, "22021: invalid byte sequence for encoding UTF8", http.StatusInternalServerError)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

func TestValidTextRefusesWhatPostgreSQLWould(t *testing.T) {
	h := validText(testRenderer(t), textSink(t))
	tests := []struct {
		name, method, target, body string
		want                       int
		json                       bool
	}{
		{"clean form", "POST", "/login", "email=ann%40example.coop&password=p%C3%A4ss", 200, false},
		{"NUL in form", "POST", "/login", "email=a%00b", 400, false},
		{"invalid UTF-8 in form", "POST", "/signup", "name=%ff", 400, false},
		{"invalid UTF-8 in the name of a field", "POST", "/signup", "%ff=1", 400, false},
		{"NUL in query", "GET", "/admin/people?q=%00", "", 400, false},
		{"invalid UTF-8 in path", "GET", "/static/%ff", "", 400, false},
		{"NUL in path", "GET", "/policies/a%00/1", "", 400, false},
		{"malformed query escape", "GET", "/login?id=%zz", "", 400, false},
		{"a 2000-character reason in a page form", "POST", "/admin/applications/1/reject", "reason=" + strings.Repeat("%C3%A9", 2000), 200, false},
		{"an over-long page field", "POST", "/signup", "note=" + strings.Repeat("x", maxFormField+1), 400, false},
		{"an over-long query parameter", "GET", "/login?id=" + strings.Repeat("a", maxParam+1), "", 400, false},
		{"an over-long state at /authorize, where a person is", "GET", "/authorize?state=" + strings.Repeat("s", maxParam+1), "", 400, false},
		{"NUL at /authorize is the provider's to answer by redirect", "GET", "/authorize?state=a%00b", "", 200, false},
		{"a long id_token_hint is fine", "GET", "/end_session?id_token_hint=" + strings.Repeat("e", 6000), "", 200, false},
		{"an over-long id_token_hint", "GET", "/end_session?id_token_hint=" + strings.Repeat("e", maxToken+1), "", 400, true},
		{"NUL at the token endpoint", "POST", "/oauth/token", "code=a%00", 400, true},
		{"invalid UTF-8 at userinfo", "GET", "/userinfo?x=%fe", "", 400, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("%s %.60s = %d, want %d\n%s", tt.method, tt.target, rec.Code, tt.want, rec.Body)
			}
			if tt.want == 200 {
				return
			}
			if tt.json {
				var e map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["error"] != "invalid_request" || e["error_description"] == "" {
					t.Errorf("OAuth refusal %q (%v); want RFC 6749 invalid_request with a description", rec.Body, err)
				}
				return
			}
			if !strings.Contains(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(rec.Body.String(), "couldn&#39;t accept this request") {
				t.Errorf("page refusal is not the error page with its message:\n%s", rec.Body)
			}
		})
	}
}

// multipartBody is a multipart/form-data body with one field and, if
// fileName is not "", one file; it returns the body and its Content-Type.
func multipartBody(field, value, fileName string) (string, string) {
	var b strings.Builder
	b.WriteString("--b\r\nContent-Disposition: form-data; name=\"" + field + "\"\r\n\r\n" + value + "\r\n")
	if fileName != "" {
		b.WriteString("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName + "\"\r\n" +
			"Content-Type: text/csv\r\n\r\nmembership_number,name\n1,Ann\n\r\n")
	}
	b.WriteString("--b--\r\n")
	return b.String(), "multipart/form-data; boundary=b"
}

// TestValidTextReadsMultipartOnlyForTheUpload: Go and gorilla/csrf read a
// multipart body as a form; the edge refuses one everywhere but the
// two uploads (the register's and the federation decisions'), and checks
// their fields and file names.
func TestValidTextReadsMultipartOnlyForTheUpload(t *testing.T) {
	h := validText(testRenderer(t), textSink(t))
	tests := []struct {
		name, method, path, field, value, file string
		want                                   int
	}{
		{"a clean upload", "POST", "/admin/register/import", "csrf_token", "t", "register.csv", 200},
		{"NUL in a field of the upload", "POST", "/admin/register/import", "csrf_token", "a\x00", "register.csv", 400},
		{"invalid UTF-8 in the file's name", "POST", "/admin/register/import", "csrf_token", "t", "\xff.csv", 400},
		{"an overlong UTF-8 slash in the file's name", "POST", "/admin/register/import", "csrf_token", "t", "\xc0\xaf.csv", 400},
		{"a surrogate in the file's name", "POST", "/admin/register/import", "csrf_token", "t", "\xed\xa0\x80.csv", 400},
		{"an over-long file name", "POST", "/admin/register/import", "csrf_token", "t", strings.Repeat("n", maxParam+1), 400},
		{"a clean multipart login", "POST", "/login", "email", "ann@example.coop", "", 415},
		{"NUL in a multipart sign-up", "POST", "/signup", "note", "a\x00", "", 415},
		{"a multipart body on a GET", "GET", "/admin/people", "q", "\x00", "", 415},
		{"a multipart body on the upload's GET", "GET", "/admin/register/import", "q", "\x00", "", 415},
		{"multipart at the token endpoint", "POST", "/oauth/token", "code", "a", "", 415},
		{"a clean federation import", "POST", "/moderation/federation/import", "csrf_token", "t", "blocks.csv", 200},
		{"invalid UTF-8 in a federation import's file name", "POST", "/moderation/federation/import", "csrf_token", "t", "\xff.csv", 400},
		{"multipart at the federation import's confirmation", "POST", "/moderation/federation/import/confirm", "upload", "1", "", 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := multipartBody(tt.field, tt.value, tt.file)
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("%s %s = %d, want %d\n%s", tt.method, tt.path, rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestValidTextMendsTheUserAgent(t *testing.T) {
	var seen string
	h := validText(testRenderer(t), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.UserAgent() }))
	r := httptest.NewRequest("GET", "/signup", nil)
	r.Header.Set("User-Agent", "Bot\xff/1.0\x00")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if seen != "Bot\uFFFD/1.0" {
		t.Errorf("User-Agent reached the handler as %q", seen)
	}
}

// FuzzValidText drives the edge with arbitrary bytes in the path, the query
// and an urlencoded or multipart body: whatever comes, the answer is never a 5xx, and what
// reaches a handler is text PostgreSQL takes. The seeds run in `go test`;
// `make fuzz` explores further.
func FuzzValidText(f *testing.F) {
	upload, _ := multipartBody("csrf_token", "t\x00", "\xc0\xaf.csv")
	for _, seed := range []struct {
		method, path, query, body string
		multipart                 bool
	}{
		{"POST", "/admin/register/import", "", upload, true},
		{"POST", "/signup", "", upload, true},
		{"POST", "/login", "", "email=a%00b&password=x", false},
		{"POST", "/signup", "", "name=%c3%28&email=a%40example.coop", false},
		{"GET", "/policies/\xff/1", "", "", false},
		{"GET", "/static/%ff", "", "", false},
		{"GET", "/admin/audit", "before=2147483648&action=%00", "", false},
		{"GET", "/authorize", "state=" + strings.Repeat("s", 70<<10), "", false},
		{"POST", "/oauth/token", "", "grant_type=refresh_token&refresh_token=%ff", false},
		{"POST", "/revoke", "a=1;b=2", "token=%", false},
		{"GET", "/end_session", "id_token_hint=e&post_logout_redirect_uri=%00", "", false},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.body, seed.multipart)
	}
	rd := testRenderer(f)
	f.Fuzz(func(t *testing.T, method, path, query, body string, multipart bool) {
		if method != "GET" && method != "POST" {
			method = "POST"
		}
		u := &url.URL{Path: "/" + strings.TrimPrefix(path, "/"), RawQuery: query}
		r, err := http.NewRequest(method, "http://coopgate.test"+u.EscapedPath()+"?"+url.PathEscape(query), strings.NewReader(body))
		if err != nil {
			return // not a request a server could receive
		}
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if multipart {
			r.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		}
		rec := httptest.NewRecorder()
		validText(rd, textSink(t)).ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %q ? %q body %q answered %d:\n%s", method, path, query, body, rec.Code, rec.Body)
		}
	})
}
