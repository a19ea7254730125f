// Package gitlab manages members' accounts on the co-op's GitLab through its
// users API, with an administrator's personal access token (api scope).
//
// coopgate creates the account ahead of the first login, already linked to
// the member's OIDC sub (extern_uid, provider openid_connect), so GitLab's
// OIDC login lands in it instead of making another. Suspending is GitLab's
// "block", which keeps the account's data and can be undone.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/coopgate/coopgate/internal/downstream"
)

const name = "gitlab"

// DefaultProvider is the name of GitLab's OIDC provider in gitlab.rb.
const DefaultProvider = "openid_connect"

// Config says where GitLab is and how coopgate authenticates to it.
type Config struct {
	BaseURL  string
	Token    string // an administrator's personal access token with the api scope
	Provider string // the omniauth provider name; DefaultProvider when empty
}

// Client is coopgate's view of one GitLab instance.
type Client struct {
	cfg  Config
	api  *url.URL // base_url + /api/v4
	http *http.Client
	auth http.Header // PRIVATE-TOKEN on every call
}

var _ downstream.Service = (*Client)(nil)

// New builds a client. hc may be nil for a client with downstream.DefaultTimeout.
func New(cfg Config, hc *http.Client) (*Client, error) {
	base, err := downstream.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("gitlab: %w", err)
	}
	if cfg.Token == "" {
		return nil, errors.New("gitlab: token is required")
	}
	if cfg.Provider == "" {
		cfg.Provider = DefaultProvider
	}
	return &Client{cfg: cfg, api: base.JoinPath("api", "v4"), http: downstream.HTTPClient(hc),
		auth: http.Header{"Private-Token": {cfg.Token}}}, nil
}

// Name is "gitlab".
func (c *Client) Name() string { return name }

// Ensure finds the member's user (by OIDC identity, else by username and
// email, linking it), or creates it; then approves it if it waits for
// approval. It never unblocks.
func (c *Client) Ensure(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	u, err := c.locate(ctx, p)
	if err != nil {
		return downstream.Account{}, err
	}
	if u.State == statePendingApproval {
		if err := c.action(ctx, "approve user", u.ID, "approve"); err != nil {
			return downstream.Account{}, err
		}
		u.State = stateActive
	}
	return u.account(), nil
}

// Suspend blocks the member's user unless it already is blocked. A user
// still waiting for approval is rejected instead: GitLab's block leaves such
// a user as it is (any "blocked?" state, and blocked_pending_approval is
// one, makes the endpoint do nothing), so an admin could still approve it.
// Rejecting deletes the request (GitLab mails the person that it was
// rejected); it held no data, and a reinstatement creates the account anew.
func (c *Client) Suspend(ctx context.Context, p downstream.Person, _ string) (downstream.Account, error) {
	u, _, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	before := u.account().State
	if u.State == statePendingApproval {
		if err := c.action(ctx, "reject user", u.ID, "reject"); err != nil && !downstream.IsStatus(err, http.StatusConflict) {
			return downstream.Account{}, err
		}
		return downstream.Account{State: downstream.StateMissing, Before: before}, nil
	}
	if before != downstream.StateSuspended {
		if err := c.action(ctx, "block user", u.ID, "block"); err != nil {
			return downstream.Account{}, err
		}
		u.State = stateBlocked
	}
	a := u.account()
	a.Before = before
	return a, nil
}

// Reinstate unblocks the member's user if coopgate's kind of block is on
// it. A ban or an LDAP block is someone else's decision and stays.
func (c *Client) Reinstate(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	u, _, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	if u.State == stateBlocked {
		if err := c.action(ctx, "unblock user", u.ID, "unblock"); err != nil {
			return downstream.Account{}, err
		}
		u.State = stateActive
	}
	return u.account(), nil
}
