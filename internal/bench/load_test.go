package bench

import (
	"context"
	"errors"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

func TestClosedLoopCountsSuccessesErrorsAndStopsWhenWorkRunsOut(t *testing.T) {
	var left atomic.Int64
	left.Store(100)
	st := runClosedLoop(context.Background(), 4, time.Minute, func(context.Context, int) error {
		n := left.Add(-1)
		switch {
		case n < 0:
			return errNoMoreWork
		case n%10 == 0:
			return errors.New("POST /token: status 400 invalid_grant")
		}
		return nil
	})
	if st.requests != 90 || st.errors["POST /token: status 400 invalid_grant"] != 10 {
		t.Errorf("requests = %d, errors = %v; want 90 and 10 invalid_grant", st.requests, st.errors)
	}
	if st.elapsed >= time.Minute || st.latency.total != 90 {
		t.Errorf("elapsed %v, %d latencies: the loop did not stop when work ran out", st.elapsed, st.latency.total)
	}
}

// TestErrorKindsHideIDs: timeouts at pages whose URL holds an id count as
// one kind, not one per request.
func TestErrorKindsHideIDs(t *testing.T) {
	st := newStats()
	for _, id := range []string{"9na4SBDBPzKL-ievw49O-76Zf9djmQ74Yo7yF70MdKO", "NX8VjJeX7N7a-579Fd4EnoEUZgUcaXTl76_dnSKmTE0"} {
		st.fail(&url.Error{Op: "Post", URL: "http://127.0.0.1:4011/interaction/" + id + "/login", Err: context.DeadlineExceeded})
	}
	if len(st.errors) != 1 || st.errors["POST /interaction/:id/login: timed out"] != 2 {
		t.Errorf("error kinds %v; want one, counted twice", st.errors)
	}
}
