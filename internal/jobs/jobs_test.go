package jobs

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/riverqueue/river"

	"github.com/coopgate/coopgate/internal/database"
)

// The housekeeping runs the owners' Prunes in the order app gives them and
// stops at the first failure, which River then retries.
func TestPruneRunsTheListInOrder(t *testing.T) {
	var ran []string
	prune := func(name string, err error) Prune {
		return func(context.Context, database.Querier) error { ran = append(ran, name); return err }
	}
	broken := errors.New("table locked")
	w := &pruneWorker{prune: []Prune{prune("oidc", nil), prune("sessions", broken), prune("counters", nil)}}
	err := w.Work(context.Background(), &river.Job[PruneArgs]{})
	if !errors.Is(err, broken) || !slices.Equal(ran, []string{"oidc", "sessions"}) {
		t.Errorf("Work = %v after %v; want the sessions error after oidc and sessions", err, ran)
	}
	ran = nil
	w.prune = []Prune{prune("oidc", nil), prune("counters", nil)}
	if err := w.Work(context.Background(), &river.Job[PruneArgs]{}); err != nil || !slices.Equal(ran, []string{"oidc", "counters"}) {
		t.Errorf("Work = %v after %v; want both, no error", err, ran)
	}
}
