package bench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxErrorKinds bounds the error table: past it, kinds are lumped together.
const maxErrorKinds = 32

// errNoMoreWork tells the load loop that a worker's supply (of codes, say)
// is used up. It is not a failure.
var errNoMoreWork = errors.New("no more work")

// stats is what one scenario measured.
type stats struct {
	requests int64         // successful operations
	elapsed  time.Duration // timed wall-clock time
	latency  *histogram    // of successful operations
	errors   map[string]int
	loadCPU  time.Duration // CPU time the load generator itself spent
	// serverCPU is the CPU time the server (with its database) spent in
	// the timed runs, zero if unknown.
	serverCPU cpuUse
}

func newStats() *stats {
	return &stats{latency: newHistogram(), errors: map[string]int{}}
}

// rate is successful operations per second of timed wall-clock time.
func (s *stats) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.requests) / s.elapsed.Seconds()
}

func (s *stats) errorCount() int {
	n := 0
	for _, c := range s.errors {
		n += c
	}
	return n
}

// fail counts err under its text, which the code keeps free of per-request
// detail so that one kind of failure is one line in the report.
func (s *stats) fail(err error) {
	kind := errorKind(err)
	if len(kind) > 160 {
		kind = kind[:160] + "…"
	}
	if _, seen := s.errors[kind]; !seen && len(s.errors) >= maxErrorKinds {
		kind = "other errors"
	}
	s.errors[kind]++
}

// errorKind is err's text without per-request detail: the HTTP client's
// errors name the whole URL, ids and all, which would make every timeout a
// kind of its own.
func errorKind(err error) string {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err.Error()
	}
	what := ue.Err.Error()
	if ue.Timeout() {
		what = "timed out"
	}
	if u, perr := url.Parse(ue.URL); perr == nil {
		return fmt.Sprintf("%s %s: %s", strings.ToUpper(ue.Op), pathShape(u), what)
	}
	return fmt.Sprintf("%s: %s", strings.ToUpper(ue.Op), what)
}

// loadShare is the load generator's CPU time per second of wall-clock
// time: near 1 on its one pinned CPU means it, not the server, set the pace.
func (s *stats) loadShare() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return s.loadCPU.Seconds() / s.elapsed.Seconds()
}

// cpuPerOp is the server's CPU time per successful operation, zero if unknown.
func (s *stats) cpuPerOp() cpuUse {
	if s.requests == 0 {
		return cpuUse{}
	}
	n := time.Duration(s.requests)
	return cpuUse{total: s.serverCPU.total / n, helpers: s.serverCPU.helpers / n}
}

// merge adds o, a run that followed s (its time adds to s's).
func (s *stats) merge(o *stats) {
	s.requests += o.requests
	s.elapsed += o.elapsed
	s.loadCPU += o.loadCPU
	s.serverCPU.total += o.serverCPU.total
	s.serverCPU.helpers += o.serverCPU.helpers
	s.latency.merge(o.latency)
	s.mergeErrors(o)
}

func (s *stats) mergeErrors(o *stats) {
	for k, n := range o.errors {
		if _, seen := s.errors[k]; !seen && len(s.errors) >= maxErrorKinds {
			k = "other errors"
		}
		s.errors[k] += n
	}
}

// op is one timed operation by worker w.
type op func(ctx context.Context, w int) error

// runClosedLoop has workers do op back to back until d has passed. Closed
// loop: each worker waits for its answer before asking again, so the load
// follows the server's speed and nothing queues beyond the workers. An
// operation still running at the deadline finishes and counts, and the
// wall-clock time includes it.
func runClosedLoop(ctx context.Context, workers int, d time.Duration, do op) *stats {
	deadline := time.Now().Add(d)
	each := make([]*stats, workers)
	var wg sync.WaitGroup
	cpu0, start := ownCPU(), time.Now()
	for w := range workers {
		wg.Go(func() { each[w] = work(ctx, w, deadline, do) })
	}
	wg.Wait()
	total := newStats()
	for _, s := range each {
		total.merge(s)
	}
	total.elapsed = time.Since(start)
	total.loadCPU = ownCPU() - cpu0
	return total
}

// ownCPU is the CPU time this process has used, user and system.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// work is one worker's loop, with stats of its own so workers share no locks.
func work(ctx context.Context, w int, deadline time.Time, do op) *stats {
	s := newStats()
	for ctx.Err() == nil && time.Now().Before(deadline) {
		t0 := time.Now()
		err := do(ctx, w)
		switch {
		case errors.Is(err, errNoMoreWork):
			return s
		case err != nil:
			s.fail(err)
		default:
			s.latency.record(time.Since(t0))
			s.requests++
		}
	}
	return s
}
