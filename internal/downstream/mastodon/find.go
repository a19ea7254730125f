package mastodon

import (
	"context"
	"errors"

	"github.com/coopgate/coopgate/internal/downstream"
)

// Find reports the member's account as it stands, changing nothing: what
// `coopgate downstream sync --dry-run` shows before a first rollout.
func (c *Client) Find(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	a, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	return a.Account(), nil
}

// RejectsUnknownPending says whether reject_unknown_pending is on, for the
// webhook, which rejects one sign-up as SweepPending rejects many.
func (c *Client) RejectsUnknownPending() bool { return c.cfg.RejectUnknownPending }
