package gitlab

import (
	"context"
	"errors"

	"github.com/coopgate/coopgate/internal/downstream"
)

// Find reports the member's user as it stands, changing nothing (it does not
// link a user found by username): what `coopgate downstream sync --dry-run`
// shows before a first rollout.
func (c *Client) Find(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	u, _, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	return u.account(), nil
}
