package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
)

// TestSecondFactorNextStaysOnTheSite: the page to go back to after a
// second factor is one of this site's, however the link spells another
// site's. Browsers drop tabs and newlines from a Location (WHATWG URL
// parsing) before reading it, so "/<tab>/evil.example" is "//evil.example".
func TestSecondFactorNextStaysOnTheSite(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	ann := g.CreateMember(t, "ann@example.coop", "ann")
	browser := g.LoggedIn(t, ann)
	apptest.EnrolTOTP(t, g, browser) // the session has now used a second factor
	site, _ := url.Parse(g.URL)

	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example",
		"//evil.example", "/\\evil.example", "https://evil.example"} {
		// Sent by hand: Go's client refuses to read such a Location.
		req, _ := http.NewRequest(http.MethodGet, g.URL+"/login/second-factor?next="+url.QueryEscape(next), nil)
		for _, c := range browser.Jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("next %q: %d; want a redirect", next, resp.StatusCode)
			continue
		}
		// What a browser does with the Location it is given.
		loc := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(resp.Header.Get("Location"))
		to, err := site.Parse(loc)
		if err != nil || to.Host != site.Host {
			t.Errorf("next %q sent the browser to %q", next, resp.Header.Get("Location"))
		}
	}
}
