package bench

import (
	"context"
	"net/http"
	"net/url"
)

// Target is a server under test. Start launches it and returns as soon as
// the process exists, without waiting for it to serve: the harness times
// readiness itself, from that moment to the first good discovery document.
type Target interface {
	Name() string
	Start(ctx context.Context) (baseURL string, pid int, err error)
	Stop() error
	// Login acts as a person's browser from authorizeURL to the redirect
	// off the server (to the relying party), signing in as who if asked.
	// c carries the browser's cookies and must not follow redirects.
	Login(ctx context.Context, c *http.Client, authorizeURL string, who Account) (*url.URL, error)
	// Account is the i-th of the accounts the load signs in as.
	Account(i int) Account
	// Member is the i-th of n different people (n up to what the server
	// was seeded with), for the Monday morning scenario.
	Member(i, n int) Account
	// Client is the relying party the server was seeded with.
	Client() Client
}

// Account is a person who can sign in.
type Account struct {
	Username string
	Password string
}

// Client is the one relying party the benchmark plays: confidential
// (client_secret_basic), code flow with PKCE S256.
type Client struct {
	ID          string
	Secret      string
	RedirectURI string
	Scope       string
}

// noter is a Target that has something to add to the report, such as how
// it checks passwords.
type noter interface {
	Notes() []string
}

// benchClient is the client both servers are seeded with.
func benchClient() Client {
	return Client{
		ID:          "bench",
		Secret:      "bench-secret-0123456789",
		RedirectURI: "http://127.0.0.1:9/cb",
		Scope:       "openid email profile",
	}
}
