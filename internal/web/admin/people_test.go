package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/people"
)

// refreshToken logs p in to the test relying party through their browser
// and returns the refresh token it gets.
func refreshToken(t *testing.T, g *apptest.Gateway, browser *http.Client, p apptest.Person) (*oauth2.Config, string) {
	t.Helper()
	ctx := context.Background()
	provider, err := gooidc.NewProvider(ctx, g.URL)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	rp := &oauth2.Config{ClientID: apptest.ClientID, ClientSecret: apptest.ClientSecret, Endpoint: endpoint,
		RedirectURL: apptest.RedirectURI, Scopes: []string{gooidc.ScopeOpenID, "email", gooidc.ScopeOfflineAccess}}
	verifier := oauth2.GenerateVerifier()
	resp := apptest.LogIn(t, browser, g.URL, rp.AuthCodeURL("state-123", oauth2.S256ChallengeOption(verifier)), p.Email, p.Password)
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), apptest.RedirectURI) {
		t.Fatalf("login ended at %d %v", resp.StatusCode, loc)
	}
	tok, err := rp.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v (refresh token %q)", err, tok.RefreshToken)
	}
	return rp, tok.RefreshToken
}

func TestEndAndReinstateMembership(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	bob := g.CreatePerson(t, "bob@example.coop", "bob", people.Admitted)
	g.AcceptAllPolicies(t, bob.ID)
	bobBrowser := apptest.Browser(t)
	rp, refresh := refreshToken(t, g, bobBrowser, bob)
	if resp, _ := apptest.Get(t, bobBrowser, g.URL+"/login"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("before: bob's browser is not logged in (%d)", resp.StatusCode)
	}

	personURL := g.URL + "/admin/people/" + bob.ID
	_, page := apptest.Get(t, b, personURL)
	wantContains(t, "person page", page, "bob@example.coop", bob.ID, "Service accounts", "No services configured", "person.enrol")
	action := "/admin/people/" + bob.ID + "/cease"

	resp, body := apptest.Submit(t, b, personURL, page, action, url.Values{"reason": {" "}})
	wantStatus(t, "ending without a reason", resp, http.StatusUnprocessableEntity)
	wantContains(t, "ending without a reason", body, `id="reason-error"`, `aria-invalid="true"`)
	if got := status(t, g, bob.ID); got != people.Admitted {
		t.Fatalf("status after a refused end = %s", got)
	}

	resp, _ = apptest.Submit(t, b, personURL, page, action, url.Values{"reason": {"Resigned by letter"}})
	wantStatus(t, "ending the membership", resp, http.StatusSeeOther)
	if got := status(t, g, bob.ID); got != people.Ceased {
		t.Fatalf("status = %s", got)
	}
	if n := events(t, g, "person.cease", bob.ID); n != 1 {
		t.Errorf("%d person.cease events, want 1", n)
	}
	resp, body = apptest.Get(t, bobBrowser, g.URL+"/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `action="/login"`) {
		t.Errorf("after: bob's old browser session still logs him in (%d)", resp.StatusCode)
	}
	if _, err := rp.TokenSource(ctx, &oauth2.Token{RefreshToken: refresh}).Token(); err == nil {
		t.Error("after: bob's refresh token still works")
	} else if re, ok := err.(*oauth2.RetrieveError); !ok || re.ErrorCode != "invalid_grant" {
		t.Errorf("after: refresh = %v, want invalid_grant", err)
	}

	t.Run("ending again is a notice", func(t *testing.T) {
		resp, body := apptest.Submit(t, b, personURL, page, action, url.Values{"reason": {"again"}})
		wantStatus(t, "ending twice", resp, http.StatusConflict)
		wantContains(t, "ending twice", body, "Nothing was changed")
		if n := events(t, g, "person.cease", bob.ID); n != 1 {
			t.Errorf("%d person.cease events, want 1", n)
		}
	})

	_, page = apptest.Get(t, b, personURL)
	resp, _ = apptest.Submit(t, b, personURL, page, "/admin/people/"+bob.ID+"/reinstate", nil)
	wantStatus(t, "reinstating", resp, http.StatusSeeOther)
	if got := status(t, g, bob.ID); got != people.Admitted {
		t.Errorf("status after reinstating = %s", got)
	}
	if n := events(t, g, "person.reinstate", bob.ID); n != 1 {
		t.Errorf("%d person.reinstate events, want 1", n)
	}
}

func TestPeopleListFilters(t *testing.T) {
	t.Parallel()
	g := apptest.Start(t)
	_, b := secretary(t, g, "sec@example.coop", "sec")
	g.CreatePerson(t, "carol@example.coop", "carol", people.Admitted)
	g.CreatePerson(t, "dave@example.coop", "dave", people.Ceased)
	for _, c := range []struct {
		query     string
		want, not []string
	}{
		{"", []string{"carol@", "dave@", "sec@"}, nil},
		{"?status=ceased", []string{"dave@"}, []string{"carol@", "sec@"}},
		{"?role=secretary", []string{"sec@"}, []string{"carol@", "dave@"}},
		{"?q=CAR", []string{"carol@"}, []string{"dave@", "sec@"}},
		{"?q=%25", nil, []string{"carol@", "dave@", "sec@"}}, // % is a character, not a wildcard
	} {
		_, body := apptest.Get(t, b, g.URL+"/admin/people"+c.query)
		wantContains(t, c.query, body, c.want...)
		for _, n := range c.not {
			if strings.Contains(body, n) {
				t.Errorf("%s: %s listed", c.query, n)
			}
		}
	}
}
