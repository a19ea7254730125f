package apptest

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// Form is an HTML form as a browser would submit it.
type Form struct {
	Action string
	Values url.Values
}

// FindForm returns the form in body whose action is action, with its
// hidden and pre-filled inputs (the CSRF token among them).
func FindForm(body, action string) (Form, error) {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return Form{}, err
	}
	var found *Form
	var walk func(n *html.Node, in *Form)
	walk = func(n *html.Node, in *Form) {
		if n.Type == html.ElementNode && n.Data == "form" && attr(n, "action") == action && found == nil {
			in = &Form{Action: action, Values: url.Values{}}
			found = in
		}
		if in != nil && n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
			if t := attr(n, "type"); t != "checkbox" || hasAttr(n, "checked") {
				in.Values.Add(attr(n, "name"), attr(n, "value"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, nil)
	if found == nil {
		return Form{}, fmt.Errorf("no form with action %q", action)
	}
	return *found, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// Get fetches url and returns the response with its body read.
func Get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, readBody(t, resp)
}

// Submit posts a form found in body (the page at pageURL), with fields set.
func Submit(t testing.TB, c *http.Client, pageURL, body, action string, fields url.Values) (*http.Response, string) {
	t.Helper()
	f := formWith(t, pageURL, body, action, fields)
	return post(t, c, pageURL, action, "application/x-www-form-urlencoded", strings.NewReader(f.Values.Encode()))
}

// Upload is a file a form sends.
type Upload struct{ Field, Name, Content string }

// SubmitMultipart posts the form found in body as multipart/form-data, as a
// browser does for an upload form (and a script may for any form), with
// fields set and files attached.
func SubmitMultipart(t testing.TB, c *http.Client, pageURL, body, action string, fields url.Values, files ...Upload) (*http.Response, string) {
	t.Helper()
	f := formWith(t, pageURL, body, action, fields)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range f.Values {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for _, u := range files {
		h := textproto.MIMEHeader{}
		// Written by hand: CreateFormFile would escape the bytes a test sends.
		h.Set("Content-Disposition", `form-data; name="`+u.Field+`"; filename="`+u.Name+`"`)
		h.Set("Content-Type", "text/csv")
		w, _ := mw.CreatePart(h)
		_, _ = w.Write([]byte(u.Content))
	}
	_ = mw.Close()
	return post(t, c, pageURL, action, mw.FormDataContentType(), &buf)
}

// formWith is the form in body whose action is action, with fields set.
func formWith(t testing.TB, pageURL, body, action string, fields url.Values) Form {
	t.Helper()
	f, err := FindForm(body, action)
	if err != nil {
		t.Fatalf("%s: %v\n%s", pageURL, err, body)
	}
	for k, v := range fields {
		f.Values[k] = v
	}
	return f
}

// post sends a form's body to action, relative to pageURL, from that origin.
func post(t testing.TB, c *http.Client, pageURL, action, contentType string, body io.Reader) (*http.Response, string) {
	t.Helper()
	target, _ := url.Parse(pageURL)
	target, _ = target.Parse(action)
	req, _ := http.NewRequest(http.MethodPost, target.String(), body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Origin", target.Scheme+"://"+target.Host)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	return resp, readBody(t, resp)
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Follow follows redirects from resp while they stay on base (the gateway),
// returning the first response that is not a redirect to base — a page, or a
// redirect to a relying party.
func Follow(t testing.TB, c *http.Client, base string, resp *http.Response, body string) (*http.Response, string) {
	t.Helper()
	for i := 0; i < 10 && resp.StatusCode >= 300 && resp.StatusCode < 400; i++ {
		loc, err := resp.Location()
		if err != nil || !strings.HasPrefix(loc.String(), base) {
			return resp, body
		}
		resp, body = Get(t, c, loc.String())
	}
	return resp, body
}

// LogIn drives the login form from an authorization URL and returns the
// final response: normally a redirect to the relying party with a code.
func LogIn(t testing.TB, c *http.Client, base, authorizeURL, email, password string) *http.Response {
	t.Helper()
	resp, body := Get(t, c, authorizeURL)
	resp, body = Follow(t, c, base, resp, body)
	loc := resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK {
		return resp
	}
	resp, body = Submit(t, c, loc, body, "/login", url.Values{"email": {email}, "password": {password}})
	resp, _ = Follow(t, c, base, resp, body)
	return resp
}
