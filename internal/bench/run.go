package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// readyLimit is how long a server may take to serve discovery.
	readyLimit = 60 * time.Second
	// idleSettle lets a just-ready server finish its start-up work before
	// its idle memory is read.
	idleSettle = time.Second
)

// algRun is every server measured with its client's ID tokens signed
// with one algorithm.
type algRun struct {
	alg     string
	servers []serverResult
}

// serverResult is everything measured on one server.
type serverResult struct {
	name      string
	started   bool          // by us, so ready time is known
	ready     time.Duration // Start returned → first good discovery
	pid       int
	idle      memory
	end       memory
	notes     []string
	scenarios []scenarioResult
	err       error // why the server could not be measured at all
}

type scenarioResult struct {
	name  string
	stats *stats
}

// Run measures the chosen servers one after the other and writes the report.
// It fails if any request failed: such figures are not to be trusted.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	pin := Pinning{Why: "turned off with -pin=false"}
	if cfg.Pin {
		pin = PlanPinning()
	}
	if err := pinSelf(pin); err != nil {
		return err
	}
	fmt.Fprintln(cfg.Log, "pinning:", pin)
	loadBefore := loadAverage()
	algs, _ := cfg.algorithms() // checked by Validate
	var runs []algRun
	for _, alg := range algs {
		run := algRun{alg: alg}
		for _, p := range cfg.targets(pin, alg) {
			run.servers = append(run.servers, measureServer(ctx, cfg, p, alg))
		}
		runs = append(runs, run)
	}
	r := report{cfg: cfg, pin: pin, runs: runs, when: time.Now().UTC(),
		loadBefore: loadBefore, loadAfter: loadAverage()}
	if err := r.write(); err != nil {
		return err
	}
	if n := r.failures(); n > 0 {
		return fmt.Errorf("%d failures (see ERRORS): these figures are not valid", n)
	}
	return nil
}

// measureServer starts (or finds) one server, its client's ID tokens
// signed with alg, runs every scenario on it and stops it again.
func measureServer(ctx context.Context, cfg Config, p plannedTarget, alg string) serverResult {
	res := serverResult{name: p.target.Name(), pid: p.pid}
	transport := newTransport(max(cfg.Concurrency, cfg.Users))
	defer transport.CloseIdleConnections()
	base, err := bringUp(ctx, p, newHTTPClient(transport), &res)
	if p.url == "" {
		defer stopTarget(p.target, cfg)
	}
	if err != nil {
		res.err = err
		return res
	}
	if err := sleep(ctx, idleSettle); err != nil {
		res.err = err
		return res
	}
	res.idle, _ = readMemory(res.pid)
	ep, err := discover(ctx, newHTTPClient(transport), base)
	if err != nil {
		res.err = err
		return res
	}
	res.scenarios = runScenarios(ctx, cfg, newSuite(p.target, alg, base, ep, transport, cfg, newCPUMeter(res.pid, p.target)))
	res.end, _ = readMemory(res.pid)
	if n, ok := p.target.(noter); ok {
		res.notes = n.Notes()
	}
	return res
}

// bringUp starts the server unless it runs already, and waits until it
// serves its discovery document, timing that if we started it.
func bringUp(ctx context.Context, p plannedTarget, hc *http.Client, res *serverResult) (string, error) {
	if p.url != "" {
		_, err := waitReady(ctx, hc, strings.TrimSuffix(p.url, "/"), 0)
		return strings.TrimSuffix(p.url, "/"), err
	}
	base, pid, err := p.target.Start(ctx)
	if err != nil {
		return "", err
	}
	res.started, res.pid = true, pid
	res.ready, err = waitReady(ctx, hc, base, pid)
	return base, err
}

// waitReady polls discovery every 2 ms and returns how long it took to
// get a good answer. A server that exits meanwhile fails at once.
func waitReady(ctx context.Context, hc *http.Client, base string, pid int) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < readyLimit {
		tctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := discover(tctx, hc, base)
		cancel()
		if err == nil {
			return time.Since(start), nil
		}
		if pid > 0 && syscall.Kill(pid, 0) != nil {
			return 0, fmt.Errorf("server (pid %d) exited before it was ready: %w", pid, err)
		}
		if err := sleep(ctx, 2*time.Millisecond); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("%s: no good discovery document within %v", base, readyLimit)
}

func runScenarios(ctx context.Context, cfg Config, s *suite) []scenarioResult {
	var out []scenarioResult
	chosen, _ := cfg.chosenScenarios() // checked by Validate
	for _, sc := range s.scenarios(chosen) {
		fmt.Fprintf(cfg.Log, "%s (%s): %s…\n", s.target.Name(), s.alg, sc.name)
		span := cfg.Warmup + cfg.Duration
		if sc.key == "monday" {
			span = cfg.Window + 5*time.Second // and the last ones to finish
		}
		waitProfile := startProfile(ctx, s.target, cfg.ProfileDir, s.alg+"-"+sc.key, span, cfg.Log)
		st, err := sc.run(ctx)
		waitProfile()
		if st == nil {
			st = newStats()
		}
		if err != nil {
			st.fail(err)
		}
		out = append(out, scenarioResult{name: sc.name, stats: st})
		if n := st.errorCount(); n > 0 {
			fmt.Fprintf(cfg.Log, "!!! %s (%s): %s: %d ERRORS\n", s.target.Name(), s.alg, sc.name, n)
		}
	}
	return out
}

func stopTarget(t Target, cfg Config) {
	if err := t.Stop(); err != nil {
		fmt.Fprintf(cfg.Log, "%s: stop: %v\n", t.Name(), err)
	}
}

// newTransport keeps enough idle connections for every worker: a
// benchmark that kept reconnecting would measure the handshake.
func newTransport(workers int) *http.Transport {
	return &http.Transport{
		Proxy:               nil, // loopback only, never through a proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 2*workers + 8,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loadAverage is the 1-minute load average, -1 if unknown. Other work on
// the machine skews every figure; the report says how much there was.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	first, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return -1
	}
	return v
}

// writeFile writes the report where -out says, if anywhere.
func writeFile(path, text string) error {
	if path == "" {
		return nil
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	return nil
}
