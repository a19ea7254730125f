package bench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Config is what the command line chose.
type Config struct {
	Target      string // coopgate, peer or both
	CoopgateURL string // if set, coopgate already runs there and is not started
	PeerURL     string // likewise for the peer
	ServerPID   int    // the pid of the one server given by URL, for RSS
	Duration    time.Duration
	Warmup      time.Duration
	Concurrency int // workers per scenario
	Users       int // people signing in at once in the complete-login scenario
	Out         string
	PeerDir     string
	Pin         bool
	// Coopgate's setup, when the benchmark starts it.
	CoopgateDir string        // module root to build ./cmd/coopgate in
	CoopgateBin string        // a built coopgate binary to run instead
	People      int           // admitted people to seed
	Tokens      int           // further live tokens to seed
	Durable     bool          // PostgreSQL with fsync on
	Scenarios   string        // comma-separated scenario keys; empty: all
	Algs        string        // comma-separated ID token algorithms, each a run of every server
	Members     int           // different people in the Monday morning scenario
	Window      time.Duration // the Monday morning scenario's arrivals are spread over it
	ProfileDir  string        // where to save a CPU profile of coopgate per scenario; empty: none
	Stdout      io.Writer     // the report
	Log         io.Writer     // progress and the servers' own output
}

// Validate reports every problem with the configuration at once.
func (c Config) Validate() error {
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(!slices.Contains([]string{"coopgate", "peer", "both"}, c.Target),
		"-target: %q is not coopgate, peer or both", c.Target)
	check(c.Duration <= 0 || c.Duration > 10*time.Minute, "-duration: %v is not within (0, 10m]", c.Duration)
	check(c.Warmup < 0 || c.Warmup > time.Minute, "-warmup: %v is not within [0, 1m]", c.Warmup)
	check(c.Concurrency < 1 || c.Concurrency > 256, "-concurrency: %d is not within [1, 256]", c.Concurrency)
	check(c.Users < 1 || c.Users > 256, "-users: %d is not within [1, 256]", c.Users)
	for _, f := range []struct{ flag, url string }{{"-coopgate-url", c.CoopgateURL}, {"-peer-url", c.PeerURL}} {
		if err := loopbackOnly(f.url); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.flag, err))
		}
	}
	check(c.ServerPID < 0, "-server-pid: %d is negative", c.ServerPID)
	check(c.People < 1 || c.People > 10_000_000, "-people: %d is not within [1, 10M]", c.People)
	check(c.Tokens < 0 || c.Tokens > 100_000_000, "-tokens: %d is not within [0, 100M]", c.Tokens)
	if _, err := c.chosenScenarios(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.algorithms(); err != nil {
		errs = append(errs, err)
	}
	check(c.Members < 1 || c.Members > peerAccounts, "-members: %d is not within [1, %d]", c.Members, peerAccounts)
	check(c.Target != "peer" && c.CoopgateURL == "" && c.Members > c.People,
		"-members: %d is more than the %d -people coopgate is seeded with", c.Members, c.People)
	check(c.Window <= 0 || c.Window > 10*time.Minute, "-window: %v is not within (0, 10m]", c.Window)
	check(c.ServerPID > 0 && c.externalCount() != 1,
		"-server-pid: needs exactly one selected target given by its URL (the others are started, so their pid is known)")
	return errors.Join(errs...)
}

// loopbackOnly refuses any server but one on this machine's loopback: a
// load test must never leave the machine.
func loopbackOnly(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.Hostname() == "localhost" {
		return nil
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not on loopback (127.0.0.0/8, ::1, localhost)", raw)
	}
	return nil
}

func (c Config) externalCount() int {
	n := 0
	if c.Target != "peer" && c.CoopgateURL != "" {
		n++
	}
	if c.Target != "coopgate" && c.PeerURL != "" {
		n++
	}
	return n
}

// plannedTarget is a server to measure: started by us when url is empty.
type plannedTarget struct {
	target Target
	url    string
	pid    int
}

// targets lists the chosen servers, coopgate first, never run at once,
// their client's ID tokens signed with alg.
func (c Config) targets(pin Pinning, alg string) []plannedTarget {
	var ts []plannedTarget
	if c.Target != "peer" {
		ts = append(ts, plannedTarget{target: &Coopgate{Dir: c.CoopgateDir, Binary: c.CoopgateBin, People: c.People,
			Tokens: c.Tokens, Durable: c.Durable, Alg: alg, Pin: pin, Log: c.Log}, url: c.CoopgateURL})
	}
	if c.Target != "coopgate" {
		ts = append(ts, plannedTarget{target: &Peer{Dir: c.PeerDir, Alg: alg, Pin: pin, Log: c.Log}, url: c.PeerURL})
	}
	for i := range ts {
		if ts[i].url != "" {
			ts[i].pid = c.ServerPID // 0 unless it is the only external one
		}
	}
	return ts
}

// idTokenAlgorithms are those both servers can sign ID tokens with.
var idTokenAlgorithms = []string{"RS256", "ES256", "EdDSA"}

// algorithms are the ID token algorithms -algs chose, in its order.
func (c Config) algorithms() ([]string, error) {
	var algs []string
	for _, a := range strings.Split(c.Algs, ",") {
		a = strings.TrimSpace(a)
		if !slices.Contains(idTokenAlgorithms, a) {
			return nil, fmt.Errorf("-algs: %q is not one of %s", a, strings.Join(idTokenAlgorithms, ", "))
		}
		if !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs, nil
}

// chosenScenarios is the set -scenarios chose, nil for all.
func (c Config) chosenScenarios() (map[string]bool, error) {
	if strings.TrimSpace(c.Scenarios) == "" {
		return nil, nil
	}
	keys := map[string]bool{}
	for _, k := range strings.Split(c.Scenarios, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(scenarioKeys(), k) {
			return nil, fmt.Errorf("-scenarios: %q is not one of %s", k, strings.Join(scenarioKeys(), ", "))
		}
		keys[k] = true
	}
	return keys, nil
}
