package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

var acceptBox = regexp.MustCompile(`name="accept" value="([^"]+)"`)

// TestMultipartFormsGetTheEdgesChecks: a form sent as multipart/form-data
// (which Go and gorilla/csrf read like any form) is refused everywhere but
// the register upload, and there every field and the file's name pass the
// same text checks as an urlencoded form: no 500, and no sign-up answered
// "check your email" and then lost in the queue (red team finding 2).
func TestMultipartFormsGetTheEdgesChecks(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	sec := secretaryBrowser(t, g)
	signUp := url.Values{"name": {"Ann"}, "email": {"ann@example.coop"}, "username": {"ann"}, "password": {"long enough password"},
		"note": {"hello\x00"}}
	refused := []struct {
		name, path string
		fields     url.Values
		browser    *http.Client
	}{
		{"login NUL", "/login", url.Values{"email": {"a\x00@example.coop"}, "password": {"x"}}, nil},
		{"sign-up NUL in the note", "/signup", signUp, nil},
		{"sign-up, clean", "/signup", url.Values{"name": {"Bo"}, "email": {"bo@example.coop"}, "username": {"bo"},
			"password": {"long enough password"}}, nil},
		{"domains NUL reason", "/admin/domains", url.Values{"domain": {"x.example"}, "reason": {"\x00"}}, sec},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.browser
			if b == nil {
				b = apptest.Browser(t)
			}
			_, page := apptest.Get(t, b, g.URL+tt.path)
			for _, m := range acceptBox.FindAllStringSubmatch(page, -1) {
				tt.fields.Add("accept", m[1]) // the sign-up's policies, all ticked
			}
			resp, body := apptest.SubmitMultipart(t, b, g.URL+tt.path, page, tt.path, tt.fields)
			if resp.StatusCode != http.StatusUnsupportedMediaType || !strings.Contains(body, "<main") {
				t.Fatalf("multipart POST %s = %d; want 415 with a page\n%s", tt.path, resp.StatusCode, body)
			}
		})
	}
	if n := g.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'admission_signup'`); n != 0 {
		t.Errorf("%d sign-ups queued from multipart forms", n)
	}

	_, page := apptest.Get(t, sec, g.URL+"/admin/register/import")
	for _, name := range []string{"\xff.csv", "\xc0\xaf.csv", "\xed\xa0\x80.csv", "a\x00.csv", strings.Repeat("n", 3000) + ".csv"} {
		resp, body := apptest.SubmitMultipart(t, sec, g.URL+"/admin/register/import", page, "/admin/register/import", nil,
			apptest.Upload{Field: "file", Name: name, Content: "membership_number,name,emails\n1,Ann,ann@example.org\n"})
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "couldn&#39;t accept this request") {
			t.Errorf("upload named %q = %d; want 400 with the edge's page\n%s", name[:min(len(name), 20)], resp.StatusCode, body)
		}
	}
	resp, body := apptest.SubmitMultipart(t, sec, g.URL+"/admin/register/import", page, "/admin/register/import",
		url.Values{"extra": {"\xff"}}, apptest.Upload{Field: "file", Name: "ok.csv", Content: "membership_number,name\n1,Ann\n"})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("upload with a bad field = %d; want 400\n%s", resp.StatusCode, body)
	}

	req, _ := http.NewRequest(http.MethodPost, g.URL+"/oauth/token", strings.NewReader("--x\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Error string }
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || resp.StatusCode != http.StatusUnsupportedMediaType || e.Error != "invalid_request" {
		t.Errorf("multipart at the token endpoint = %d %+v (%v); want 415 invalid_request", resp.StatusCode, e, err)
	}
	g.NoErrorsLogged(t)
}
