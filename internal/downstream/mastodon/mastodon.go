// Package mastodon manages members' accounts on the co-op's Mastodon through
// its admin API, with a staff user's token (admin:read:accounts and
// admin:write:accounts).
//
// Mastodon creates an account itself on the member's first OIDC login, and
// refuses API registration when logins are SSO-only, so coopgate never
// creates one: Ensure finds it (or reports it missing) and approves it if it
// waits for approval. It also verifies Mastodon's signed webhooks and can
// reject pending local sign-ups from people coopgate has not admitted.
//
// go-mastodon covers the per-account admin actions; the filtered v2 account
// list is plain HTTP because go-mastodon only has the v1 list.
package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	gomastodon "github.com/mattn/go-mastodon"

	"github.com/coopgate/coopgate/internal/downstream"
)

const name = "mastodon"

// Config says where Mastodon is and how coopgate authenticates to it.
type Config struct {
	BaseURL string
	Token   string // a staff user's token with admin:read:accounts admin:write:accounts
	// RejectUnknownPending lets SweepPending reject pending local sign-ups
	// whose email belongs to nobody admitted.
	RejectUnknownPending bool
}

// Client is coopgate's view of one Mastodon instance.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
	api  *gomastodon.Client
}

var _ downstream.Service = (*Client)(nil)

// New builds a client. hc may be nil for a client with downstream.DefaultTimeout.
func New(cfg Config, hc *http.Client) (*Client, error) {
	base, err := downstream.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("mastodon: %w", err)
	}
	if cfg.Token == "" {
		return nil, errors.New("mastodon: token is required")
	}
	hc = withRefusals(downstream.HTTPClient(hc))
	api := gomastodon.NewClient(&gomastodon.Config{Server: base.String(), AccessToken: cfg.Token})
	api.Client = *hc
	api.UserAgent = downstream.UserAgent
	return &Client{cfg: cfg, base: base, http: hc, api: api}, nil
}

// Name is "mastodon".
func (c *Client) Name() string { return name }

// Ensure finds the member's account and approves it if it is pending. An
// account that Mastodon has not created yet (no OIDC login so far) is
// reported as missing, not as an error.
func (c *Client) Ensure(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	a, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	if a.State() == downstream.StatePending {
		if !strings.EqualFold(a.Email, p.Email) {
			// Found by username only: a stranger may have signed up on
			// Mastodon's own form under a member's name. Approving it would
			// hand them the member's account.
			return downstream.Account{}, downstream.Refused(c.Name(), "approve account",
				"a pending sign-up has this member's username but another email address; approve or reject it in Mastodon's moderation")
		}
		approved, err := c.api.AdminAccountApprove(ctx, gomastodon.ID(a.ID))
		if err != nil {
			return downstream.Account{}, classify("approve account", err)
		}
		a = fromLibrary(approved)
	}
	return a.Account(), nil
}

// Suspend suspends the member's account unless it already is. Mastodon
// purges a suspended account's data after 30 days; see docs/integrations.
func (c *Client) Suspend(ctx context.Context, p downstream.Person, reason string) (downstream.Account, error) {
	a, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	if !a.Suspended {
		action := &gomastodon.AdminAccountAction{Type: "suspend", Text: reason}
		if err := c.api.AdminAccountPerformAction(ctx, gomastodon.ID(a.ID), action); err != nil {
			return downstream.Account{}, classify("suspend account", err)
		}
		a.Suspended = true
	}
	return a.Account(), nil
}

// Reinstate lifts the account's suspension if it has one.
func (c *Client) Reinstate(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	a, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	if a.Suspended {
		lifted, err := c.api.AdminAccountUnsuspend(ctx, gomastodon.ID(a.ID))
		if err != nil {
			return downstream.Account{}, classify("unsuspend account", err)
		}
		a = fromLibrary(lifted)
	}
	return a.Account(), nil
}

// find looks the member up by email, then by username: Mastodon's OIDC login
// makes the username from preferred_username, which coopgate never changes,
// while the email on the Mastodon side may be stale.
func (c *Client) find(ctx context.Context, p downstream.Person) (AdminAccount, error) {
	if p.Email != "" {
		a, err := c.findLocal(ctx, "email", p.Email)
		if !errors.Is(err, downstream.ErrNotFound) {
			return a, err
		}
	}
	if p.Username != "" {
		return c.findLocal(ctx, "username", p.Username)
	}
	return AdminAccount{}, downstream.ErrNotFound
}

// classify turns whatever go-mastodon returned into a *downstream.Error.
func classify(op string, err error) error {
	var apiErr *gomastodon.APIError
	if errors.As(err, &apiErr) {
		return &downstream.Error{Service: name, Op: op, Status: apiErr.StatusCode, Message: apiErr.Message}
	}
	return downstream.NetworkError(name, op, err)
}
