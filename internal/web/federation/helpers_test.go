package federation_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/people"
)

const mastodonToken = "mastodon-admin-token"

// gateway is a whole coopgate with the fake Mastodon configured.
func gateway(t *testing.T) (*apptest.Gateway, *mastodontest.Server) {
	t.Helper()
	fake := mastodontest.NewServer(t, mastodonToken)
	g := apptest.Start(t, func(c *config.Config) {
		c.Downstream.Mastodon = config.Mastodon{Enabled: true, BaseURL: fake.URL, Token: mastodonToken}
	})
	return g, fake
}

// moderator makes an admitted moderator and a browser logged in as them.
func moderator(t *testing.T, g *apptest.Gateway, email, username string) (apptest.Person, *http.Client) {
	t.Helper()
	p := g.CreateMember(t, email, username, people.RoleModerator)
	return p, g.LoggedIn(t, p)
}

func actor(p apptest.Person) audit.Actor { return audit.Actor{PersonID: p.ID, Label: p.Email} }

func record(t *testing.T, g *apptest.Gateway, n fed.NewDecision, by apptest.Person) fed.Decision {
	t.Helper()
	if n.Source == "" {
		n.Source = fed.FromForm
	}
	d, err := g.App.Federation.Record(context.Background(), n, actor(by))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func spam(domain string) fed.NewDecision {
	return fed.NewDecision{Domain: domain, Action: fed.Block, Settings: fed.Settings{Severity: fed.Suspend}, Ground: fed.Spam,
		PublicReason: "Floods of spam", Reference: "https://loomio.example.coop/d/abc"}
}

// submit posts the form with action found on the page at path.
func submit(t *testing.T, g *apptest.Gateway, b *http.Client, path, action string, fields url.Values) (*http.Response, string) {
	t.Helper()
	_, body := apptest.Get(t, b, g.URL+path)
	return apptest.Submit(t, b, g.URL+path, body, action, fields)
}

// The checks every page test here uses.
var (
	wantStatus   = apptest.WantStatus
	wantContains = apptest.WantContains
	wantLacks    = apptest.WantLacks
	eventually   = apptest.Eventually
)
