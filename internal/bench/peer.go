package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// peerAccounts is how many userN accounts bench/peer/server.mjs creates;
// the load signs in as the first peerLoginAccounts of them (as many as
// coopgate's), the Monday morning scenario as up to all of them.
const (
	peerAccounts      = 1000
	peerLoginAccounts = 64
)

// Peer is panva's oidc-provider run by bench/peer/server.mjs.
type Peer struct {
	Dir  string  // the bench/peer directory
	Port int     // 0 picks a free port
	Alg  string  // the client's ID token algorithm; empty: RS256
	Pin  Pinning // where the server runs
	Log  io.Writer
	proc *serverProcess
}

func (p *Peer) Name() string { return "peer" }

// Start installs the peer's locked dependencies if they are missing (not
// timed) and launches node on 127.0.0.1.
func (p *Peer) Start(ctx context.Context) (string, int, error) {
	if err := p.install(ctx); err != nil {
		return "", 0, err
	}
	port := p.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return "", 0, err
		}
	}
	env := []string{"PORT=" + strconv.Itoa(port)}
	if p.Alg != "" {
		env = append(env, "ID_TOKEN_ALG="+p.Alg)
	}
	if !p.argon2Loads(ctx) {
		env = append(env, "PASSWORD_CHECK=scrypt")
	}
	proc, err := startServer(p.Dir, env, p.Pin, p.Log, "peer", "node", "server.mjs")
	if err != nil {
		return "", 0, fmt.Errorf("peer: %w", err)
	}
	p.proc = proc
	return "http://127.0.0.1:" + strconv.Itoa(port), proc.PID(), nil
}

// install runs npm ci when node_modules is absent, so a fresh clone works
// from the committed lockfile alone.
func (p *Peer) install(ctx context.Context) error {
	_, err := os.Stat(filepath.Join(p.Dir, "node_modules", "oidc-provider"))
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("peer: %w", err)
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("peer: npm ci in %s: %w", p.Dir, err)
	}
	return nil
}

// argon2Loads reports whether the npm argon2 module loads and hashes in a
// node of its own (untimed): its native code, if built wrong, crashes node
// outright, and then the peer must check passwords with scrypt instead.
func (p *Peer) argon2Loads(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e",
		`require("argon2").hash("x").then(() => process.exit(0), () => process.exit(1))`)
	cmd.Dir = p.Dir
	return cmd.Run() == nil
}

func (p *Peer) Stop() error {
	if p.proc == nil {
		return nil
	}
	return p.proc.Stop()
}

// Notes passes on the bench-note lines server.mjs prints at start.
func (p *Peer) Notes() []string {
	if p.proc == nil {
		return nil
	}
	return p.proc.Notes()
}

// Login drives the login form of server.mjs: fields login and password.
func (p *Peer) Login(ctx context.Context, c *http.Client, authorizeURL string, who Account) (*url.URL, error) {
	f := loginForm{UsernameField: "login", PasswordField: "password"}
	return browse(ctx, c, authorizeURL, f, who)
}

func (p *Peer) Account(i int) Account { return p.member(i % peerLoginAccounts) }

// Member i of n different people: userI.
func (p *Peer) Member(i, _ int) Account { return p.member(i % peerAccounts) }

func (p *Peer) member(i int) Account {
	return Account{Username: "user" + strconv.Itoa(i), Password: benchPassword}
}

func (p *Peer) Client() Client { return benchClient() }
