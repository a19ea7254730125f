package bench

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// errNotWired is what the coopgate target says until it can start coopgate.
var errNotWired = errors.New("coopgate target: not yet wired (start it yourself and pass -coopgate-url, or wire Coopgate.Start)")

// coopgateAccounts is how many benchmark accounts coopgate is assumed to be
// seeded with. PROVISIONAL, like everything marked so below.
const coopgateAccounts = 64

// Coopgate is the coopgate server.
//
// TODO(lead): wire Start. It should build or find the coopgate binary,
// write a config whose clients hold benchClient() (confidential, secret
// basic, that redirect URI), seed the accounts of Account(i) into a fresh
// database (admitted, with the current policies accepted, or login stops at
// /status or /terms; `coopgate users create --password-stdin` hashes with
// internal/password), and launch `coopgate serve` through startServer with
// c.Pin, exactly as Peer.Start does, returning the issuer URL and the pid of
// the coopgate process itself (not of a wrapper, or RSS is wrong). The
// PostgreSQL it uses is not in that RSS: say so, or add it.
type Coopgate struct {
	Pin  Pinning
	Log  io.Writer
	proc *serverProcess
}

func (c *Coopgate) Name() string { return "coopgate" }

func (c *Coopgate) Start(ctx context.Context) (string, int, error) {
	return "", 0, errNotWired
}

func (c *Coopgate) Stop() error {
	if c.proc == nil {
		return nil
	}
	return c.proc.Stop()
}

// Login drives coopgate's login page. PROVISIONAL: the authorize redirect
// is assumed to lead to a page whose first form POSTs the fields email and
// password plus the hidden csrf_token and id, which browse copies back
// (as web/templates/login/login.html has it today), and a session to let a
// later authorize through without a form, which minting codes relies on.
func (c *Coopgate) Login(ctx context.Context, hc *http.Client, authorizeURL string, who Account) (*url.URL, error) {
	f := loginForm{UsernameField: "email", PasswordField: "password"}
	return browse(ctx, hc, authorizeURL, f, who)
}

// Account is PROVISIONAL: benchN@bench.test, all with one password.
func (c *Coopgate) Account(i int) Account {
	return Account{
		Username: "bench" + strconv.Itoa(i%coopgateAccounts) + "@bench.test",
		Password: "bench-password-0123456789",
	}
}

// Client is PROVISIONAL: the same relying party as the peer's.
func (c *Coopgate) Client() Client { return benchClient() }
