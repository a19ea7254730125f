package bench

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// mondaySeed fixes the arrival times, so that every run and both servers
// get the same Monday.
const mondaySeed = 20261130

// arrivals are n moments within window at which members arrive: uniformly
// random and sorted, which is a Poisson process of rate n/window given
// that n arrive. Some come close together, as people do.
func arrivals(n int, window time.Duration) []time.Duration {
	rng := rand.New(rand.NewPCG(mondaySeed, uint64(n)))
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = time.Duration(rng.Int64N(int64(window)))
	}
	slices.Sort(at)
	return at
}

// mondayMorning has s.members different people each complete the whole
// browser-equivalent flow once — authorize, login form, password, their
// terms accepted already, code, token, userinfo — arriving at random over
// s.window, as a co-op's members do when the week starts. Open loop: an
// arrival does not wait for those before it, so a server that falls behind
// builds a queue, as it would for real. Latency is each member's whole
// flow; elapsed runs from the first arrival to the last member done.
func (s *suite) mondayMorning(ctx context.Context) (*stats, error) {
	times := arrivals(s.members, s.window)
	each := make([]*stats, len(times))
	var wg sync.WaitGroup
	before, cpu0, start := s.cpu.used(), ownCPU(), time.Now()
	for i, at := range times {
		if err := sleep(ctx, time.Until(start.Add(at))); err != nil {
			break
		}
		each[i] = newStats()
		wg.Go(func() {
			t0 := time.Now()
			if err := s.completeFlow(ctx, newBrowser(s.transport), s.target.Member(i, s.members)); err != nil {
				each[i].fail(err)
				return
			}
			each[i].latency.record(time.Since(t0))
			each[i].requests++
		})
	}
	wg.Wait()
	total := newStats()
	for _, st := range each {
		if st != nil {
			total.merge(st)
		}
	}
	total.elapsed = time.Since(start)
	total.loadCPU = ownCPU() - cpu0
	total.serverCPU = s.cpu.used().minus(before)
	if missed := len(times) - int(total.requests) - total.errorCount(); missed > 0 {
		total.errors["did not arrive (the run was stopped)"] += missed
	}
	return total, nil
}
