// Package downstreamtest holds what the fake Mastodon, Discourse and GitLab
// servers share: a record of the calls they received and the failures a test
// asked for (an outage, a run of 500s, rate limiting). It is for tests only and
// knows nothing about any one service; each fake supplies its own error body.
package downstreamtest

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Call is one request a fake received.
type Call struct {
	Method string
	Path   string // without the query
	Query  string // raw query, e.g. "origin=local&email=a%40b.org"
}

// ErrorWriter writes a service's own error answer for status. For 429, wait
// is how long the service would ask the client to back off.
type ErrorWriter func(w http.ResponseWriter, status int, wait time.Duration)

// DefaultRateLimitWait is the back-off FailNext(n, 429) advertises.
const DefaultRateLimitWait = time.Second

// Faults records calls and injects failures. A fake embeds it, so its methods
// are the fake's: fake.FailNext(2, 500), fake.SetDown(true), fake.Calls().
type Faults struct {
	mu     sync.Mutex
	calls  []Call
	next   failure            // for any request
	byPath map[string]failure // for one "METHOD /path"
	down   bool
}

type failure struct {
	left   int
	status int
	wait   time.Duration
}

// take uses up one queued failure, if any.
func (f *failure) take() (int, time.Duration, bool) {
	if f.left <= 0 {
		return 0, 0, false
	}
	f.left--
	return f.status, f.wait, true
}

func newFailure(n, status int) failure {
	fl := failure{left: n, status: status}
	if status == http.StatusTooManyRequests {
		fl.wait = DefaultRateLimitWait
	}
	return fl
}

// Wrap puts the faults in front of a fake's handler: every request is
// recorded, then refused if the fake is down or a failure is queued.
func (f *Faults) Wrap(next http.Handler, writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, wait, down := f.admit(r)
		switch {
		case down:
			hangUp(w)
		case status != 0:
			writeErr(w, status, wait)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (f *Faults) admit(r *http.Request) (status int, wait time.Duration, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery})
	if f.down {
		return 0, 0, true
	}
	if fl, ok := f.byPath[r.Method+" "+r.URL.Path]; ok {
		status, wait, hit := fl.take()
		f.byPath[r.Method+" "+r.URL.Path] = fl
		if hit {
			return status, wait, false
		}
	}
	status, wait, _ = f.next.take()
	return status, wait, false
}

// hangUp closes the connection without answering, as a crashed service or a
// dead proxy would; the client sees a network error.
func hangUp(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot simulate an outage on this connection", http.StatusInternalServerError)
		return
	}
	if conn, _, err := hj.Hijack(); err == nil {
		conn.Close()
	}
}

// FailNext makes the next n requests fail with status, in the service's own
// error format. A 429 advertises DefaultRateLimitWait.
func (f *Faults) FailNext(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = newFailure(n, status)
}

// FailPath makes the next n requests with this method and path (no query)
// fail with status, leaving other requests alone: "the approve call fails".
func (f *Faults) FailPath(method, path string, n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byPath == nil {
		f.byPath = map[string]failure{}
	}
	f.byPath[method+" "+path] = newFailure(n, status)
}

// RateLimit makes the next n requests answer 429, asking the client to wait.
func (f *Faults) RateLimit(n int, wait time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = failure{left: n, status: http.StatusTooManyRequests, wait: wait}
}

// SetDown makes every request fail at the network level until SetDown(false).
func (f *Faults) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Calls returns a copy of the requests received so far, in order.
func (f *Faults) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Count says how many requests had this method and path.
func (f *Faults) Count(method, path string) int {
	n := 0
	for _, c := range f.Calls() {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls recorded so far.
func (f *Faults) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
