package bench

import (
	"context"
	"errors"
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
