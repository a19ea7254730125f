package signup_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/mail/mailtest"
	"github.com/coopgate/coopgate/internal/people"
)

// mailWait is how long a test waits for the job queue to deliver a mail.
const mailWait = 20 * time.Second

// env is a gateway whose mail goes over SMTP to a test mail server.
type env struct {
	g    *apptest.Gateway
	mail *mailtest.Server
}

func start(t *testing.T, opts ...apptest.Option) *env {
	t.Helper()
	srv := mailtest.Start(t)
	g := apptest.Start(t, append([]apptest.Option{apptest.WithSMTP(srv)}, opts...)...)
	return &env{g: g, mail: srv}
}

// applicant is what a test types into the sign-up form.
type applicant struct {
	Name, Email, Username, Password, Number, Note string
}

func newApplicant(email, username string) applicant {
	return applicant{Name: "Applicant " + username, Email: email, Username: username, Password: "correct horse battery"}
}

func (a applicant) fields() url.Values {
	return url.Values{"name": {a.Name}, "email": {a.Email}, "username": {a.Username}, "password": {a.Password},
		"membership_number": {a.Number}, "note": {a.Note}}
}

var acceptRE = regexp.MustCompile(`name="accept" value="([^"]+)"`)

// policyBoxes are the values of the policy checkboxes on a sign-up page.
func policyBoxes(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, m := range acceptRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("the sign-up page has no policy checkboxes:\n%s", body)
	}
	return out
}

// signUpAt opens the sign-up page at pageURL and submits it for a, ticking
// every policy, with extra fields overriding.
func (e *env) signUpAt(t *testing.T, c *http.Client, pageURL string, a applicant, extra url.Values) (*http.Response, string) {
	t.Helper()
	resp, body := apptest.Get(t, c, pageURL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", pageURL, resp.StatusCode)
	}
	fields := a.fields()
	fields["accept"] = policyBoxes(t, body)
	for k, v := range extra {
		fields[k] = v
	}
	return apptest.Submit(t, c, pageURL, body, "/signup", fields)
}

func (e *env) signUp(t *testing.T, c *http.Client, a applicant) (*http.Response, string) {
	t.Helper()
	return e.signUpAt(t, c, e.g.URL+"/signup", a, nil)
}

// link waits for the next mail to `to` and returns its link starting with path.
func (e *env) link(t *testing.T, to, path string) (mailtest.Message, string) {
	t.Helper()
	msg := e.mail.WaitFor(t, to, mailWait)
	link := mailtest.FindLink(msg.Text, e.g.URL+path)
	if link == "" {
		t.Fatalf("mail %q to %s has no link to %s:\n%s", msg.Subject, to, path, msg.Text)
	}
	return msg, link
}

// verify opens a verification link in the browser that signed up and
// presses its button.
func (e *env) verify(t *testing.T, c *http.Client, link string) (*http.Response, string) {
	t.Helper()
	return e.verifyWith(t, c, link, nil)
}

// verifyWith opens a verification link in c and presses its button with fields.
func (e *env) verifyWith(t *testing.T, c *http.Client, link string, fields url.Values) (*http.Response, string) {
	t.Helper()
	resp, body := apptest.Get(t, c, link)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", link, resp.StatusCode, body)
	}
	return apptest.Submit(t, c, link, body, "/verify", fields)
}

func (e *env) person(t *testing.T, email string) *people.Person {
	t.Helper()
	p, err := people.ByEmail(context.Background(), e.g.App.Pool, email)
	if err != nil {
		t.Fatalf("person %s: %v", email, err)
	}
	return p
}

func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.g.App.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// mailJobs counts the mail ever queued (finished jobs stay in the table for
// an hour): "sends nothing" is checked at the source, not by waiting.
func (e *env) mailJobs(t *testing.T) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mail_send'`)
}

// location is where resp redirects: a path on the gateway itself, a full
// URL elsewhere.
func location(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return ""
	}
	if loc.Host == resp.Request.URL.Host {
		return loc.RequestURI()
	}
	return loc.String()
}

// statusOf says where /status sends this browser: "/login" when nobody is
// logged in, "/continue" for an admitted person, or "" when it shows the page.
func (e *env) statusOf(t *testing.T, c *http.Client) (where, body string) {
	t.Helper()
	resp, body := apptest.Get(t, c, e.g.URL+"/status")
	if resp.StatusCode == http.StatusOK {
		return "", body
	}
	loc, _, _ := strings.Cut(location(resp), "?")
	return loc, body
}

func wantStatus(t *testing.T, resp *http.Response, body string, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s answered %d, want %d\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
}

// waitFor polls ok until it holds or mailWait passes.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("gave up waiting")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var (
	csrfRE    = regexp.MustCompile(`name="csrf_token" value="[^"]*"`)
	expiresRE = regexp.MustCompile(`Expires=[^;]*`)
)

// sameShape is a page with what legitimately differs between two answers
// blanked: the address typed, and the CSRF token (random on every page).
func sameShape(body, email string) string {
	return csrfRE.ReplaceAllString(strings.ReplaceAll(body, email, "ADDRESS"), `name="csrf_token" value="…"`)
}

// headerShape lists a response's header names and, for cookies, their
// names and attributes: what differs only in random values is alike.
func headerShape(h http.Header) string {
	var lines []string
	for name, vs := range h {
		switch name {
		case "Date", "X-Request-Id", "Content-Length":
			continue // the time, a random id, and the length of the address typed
		case "Set-Cookie":
			for _, v := range vs {
				cookieName, rest, _ := strings.Cut(v, "=")
				_, attrs, _ := strings.Cut(rest, ";")
				attrs = expiresRE.ReplaceAllString(attrs, "Expires=…") // the clock, which may tick between the two
				lines = append(lines, "Set-Cookie: "+cookieName+"=…;"+attrs)
			}
			continue
		}
		lines = append(lines, name+": "+strings.Join(vs, ", "))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// logInWith submits the login form in browser c.
func logInWith(t *testing.T, e *env, c *http.Client, email, password string) *http.Response {
	t.Helper()
	_, body := apptest.Get(t, c, e.g.URL+"/login")
	resp, _ := apptest.Submit(t, c, e.g.URL+"/login", body, "/login", url.Values{"email": {email}, "password": {password}})
	return resp
}

// mainOf is the page's own content, without the layout's header (whose
// navigation links to /login and /signup on every page).
func mainOf(body string) string {
	if _, after, ok := strings.Cut(body, "<main"); ok {
		return after
	}
	return body
}
