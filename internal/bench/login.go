package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// maxBrowseSteps bounds one login: authorize, form, post, resume and a
// few more redirects fit with room to spare; a loop does not.
const maxBrowseSteps = 12

// loginForm names the fields of a target's sign-in form.
type loginForm struct {
	UsernameField string
	PasswordField string
}

// browser walks one authorization through a server's pages as a person's
// browser would, holding its cookies in c.
type browser struct {
	c        *http.Client
	form     loginForm
	who      Account
	origin   string
	signedIn bool // credentials were sent once already
}

// browse starts at authorizeURL, follows redirects within the server,
// submits each form it is shown (hidden fields as given, credentials where
// asked) and returns the first redirect that leaves the server: the one to
// the relying party.
func browse(ctx context.Context, c *http.Client, authorizeURL string, f loginForm, who Account) (*url.URL, error) {
	start, err := url.Parse(authorizeURL)
	if err != nil {
		return nil, err
	}
	b := &browser{c: c, form: f, who: who, origin: originOf(start)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	for range maxBrowseSteps {
		if err != nil {
			return nil, err
		}
		var resp *http.Response
		if resp, err = c.Do(req); err != nil {
			return nil, err
		}
		var left *url.URL
		left, req, err = b.follow(ctx, req, resp)
		if left != nil || err != nil {
			return left, err
		}
	}
	return nil, errors.New("login: too many redirects or forms")
}

func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// follow reads one response: a redirect off the server ends the walk; a
// redirect within it, or a page with a form, gives the next request.
func (b *browser) follow(ctx context.Context, req *http.Request, resp *http.Response) (*url.URL, *http.Request, error) {
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		_, _ = io.Copy(io.Discard, resp.Body)
		loc, err := resp.Location()
		if err != nil {
			return nil, nil, fmt.Errorf("login: %s %s: %w", req.Method, pathShape(req.URL), err)
		}
		if originOf(loc) != b.origin {
			return loc, nil, nil
		}
		next, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
		return nil, next, err
	case resp.StatusCode == http.StatusOK:
		next, err := b.submit(ctx, req.URL, resp.Body)
		return nil, next, err
	default:
		return nil, nil, responseError(req, resp)
	}
}

// submit fills in the page's first form and returns the request sending it.
func (b *browser) submit(ctx context.Context, page *url.URL, body io.Reader) (*http.Request, error) {
	f, err := parseForm(io.LimitReader(body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("login: page %s: %w", pathShape(page), err)
	}
	asksCredentials := f.has(b.form.PasswordField)
	if asksCredentials && b.signedIn {
		return nil, errors.New("login: form shown again after signing in (wrong credentials?)")
	}
	if asksCredentials {
		f.values.Set(b.form.UsernameField, b.who.Username)
		f.values.Set(b.form.PasswordField, b.who.Password)
		b.signedIn = true
	}
	action, err := page.Parse(f.action)
	if err != nil {
		return nil, fmt.Errorf("login: form action: %w", err)
	}
	req, err := f.request(ctx, action)
	if err != nil {
		return nil, err
	}
	// Browsers name the page a form came from; CSRF defences (gorilla/csrf
	// checks Referer) refuse a POST that does not.
	req.Header.Set("Origin", b.origin)
	req.Header.Set("Referer", page.String())
	return req, nil
}

// htmlForm is what a browser would send for a form, before the person
// types anything.
type htmlForm struct {
	action string
	method string
	names  map[string]bool
	values url.Values
}

func (f *htmlForm) has(name string) bool { return f.names[name] }

func (f *htmlForm) request(ctx context.Context, action *url.URL) (*http.Request, error) {
	if f.method != http.MethodPost {
		u := *action
		u.RawQuery = f.values.Encode()
		return http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(f.values.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// parseForm finds the first <form> and its controls.
func parseForm(r io.Reader) (*htmlForm, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return nil, err
	}
	node := findElement(doc, "form")
	if node == nil {
		return nil, errors.New("no form")
	}
	f := &htmlForm{
		action: attr(node, "action"),
		method: strings.ToUpper(attr(node, "method")),
		names:  map[string]bool{},
		values: url.Values{},
	}
	if f.method == "" {
		f.method = http.MethodGet
	}
	collectControls(node, f, new(bool))
	return f, nil
}

// collectControls adds the values a browser sends: named inputs other
// than buttons and unchecked boxes, textareas, and the first submit
// button if it has a name (a consent page's "allow", say).
func collectControls(n *html.Node, f *htmlForm, pressed *bool) {
	if n.Type == html.ElementNode {
		addControl(n, f, pressed)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		collectControls(c, f, pressed)
	}
}

func addControl(n *html.Node, f *htmlForm, pressed *bool) {
	if n.Data != "input" && n.Data != "button" && n.Data != "textarea" {
		return
	}
	name := attr(n, "name")
	kind := strings.ToLower(attr(n, "type"))
	if name != "" {
		f.names[name] = true
	}
	switch {
	case isSubmit(n, kind):
		if !*pressed && name != "" {
			f.values.Set(name, attr(n, "value"))
		}
		*pressed = true
	case name == "" || n.Data == "button" || kind == "button" || kind == "reset":
		// sends nothing
	case (kind == "checkbox" || kind == "radio") && !hasAttr(n, "checked"):
		// sends nothing
	case n.Data == "textarea":
		f.values.Add(name, textOf(n))
	default:
		f.values.Add(name, attr(n, "value"))
	}
}

func isSubmit(n *html.Node, kind string) bool {
	if n.Data == "button" {
		return kind == "" || kind == "submit"
	}
	return n.Data == "input" && (kind == "submit" || kind == "image")
}

func findElement(n *html.Node, tag string) *html.Node {
	if n.Type == html.ElementNode && n.Data == tag {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if found := findElement(c, tag); found != nil {
			return found
		}
	}
	return nil
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

func textOf(n *html.Node) string {
	var sb strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			sb.WriteString(c.Data)
		}
	}
	return sb.String()
}
