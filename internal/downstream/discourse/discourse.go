// Package discourse manages members' accounts on the co-op's Discourse forum
// through its admin API (Api-Key and Api-Username headers, an admin's global
// key).
//
// Unlike Mastodon, Discourse lets coopgate create the account ahead of the
// first login, already linked to the member's OIDC sub (external_ids, the
// "oidc" provider of the OpenID Connect plugin), active and approved. It adds
// the member to the Discourse groups that config maps their coopgate groups
// to. Suspending also ends every session, because Discourse keeps its own
// login cookie and never asks coopgate again while it is valid.
package discourse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
)

const name = "discourse"

// Provider is the name the OpenID Connect plugin registers with Discourse;
// it appears in the callback URL /auth/oidc/callback.
const Provider = "oidc"

// suspendUntil is "for good": Discourse has no indefinite suspension, and its
// own "forever" is a date centuries away.
const suspendUntil = "3000-01-01"

// Config says where Discourse is and how coopgate authenticates to it.
type Config struct {
	BaseURL     string
	APIKey      string // a global key; it must act as an admin (external_ids needs one)
	APIUsername string // the admin the key acts as, e.g. system
	// GroupMap maps a coopgate group to the Discourse group (by name) its
	// members join.
	GroupMap map[string]string
}

// Client is coopgate's view of one Discourse forum.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
	auth http.Header // Api-Key and Api-Username on every call
	now  func() time.Time
}

var _ downstream.Service = (*Client)(nil)

// New builds a client. hc may be nil for a client with downstream.DefaultTimeout.
func New(cfg Config, hc *http.Client) (*Client, error) {
	base, err := downstream.ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("discourse: %w", err)
	}
	if cfg.APIKey == "" || cfg.APIUsername == "" {
		return nil, errors.New("discourse: api_key and api_username are required")
	}
	auth := http.Header{"Api-Key": {cfg.APIKey}, "Api-Username": {cfg.APIUsername}}
	return &Client{cfg: cfg, base: base, http: downstream.HTTPClient(hc), auth: auth, now: time.Now}, nil
}

// Name is "discourse".
func (c *Client) Name() string { return name }

// Ensure finds the member's user (by OIDC sub, else by email, linking it),
// or creates it; then activates and approves it if needed and adds it to its
// mapped groups. It never lifts a suspension.
func (c *Client) Ensure(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	u, err := c.locate(ctx, p)
	if err != nil {
		return downstream.Account{}, err
	}
	if u, err = c.admit(ctx, u); err != nil {
		return downstream.Account{}, err
	}
	if err := c.syncGroups(ctx, u, p.Groups); err != nil {
		return downstream.Account{}, err
	}
	return c.account(u), nil
}

// Suspend suspends the member's user unless it already is, then logs it out
// everywhere. The log-out runs every time, so a retry after a failed log-out
// finishes the job. Discourse shows text on the user's profile unless
// hide_suspension_reasons is on.
func (c *Client) Suspend(ctx context.Context, p downstream.Person, text string) (downstream.Account, error) {
	u, _, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	before := u.state(c.now())
	if before != downstream.StateSuspended {
		if err := c.suspend(ctx, u.ID, text); err != nil {
			return downstream.Account{}, err
		}
	}
	if err := c.call(ctx, "log out user", http.MethodPost, c.userURL(u.ID, "log_out"), nil, nil); err != nil {
		return downstream.Account{}, err
	}
	return downstream.Account{RemoteID: strconv.Itoa(u.ID), State: downstream.StateSuspended, Before: before}, nil
}

// Reinstate lifts the user's suspension if it has one.
func (c *Client) Reinstate(ctx context.Context, p downstream.Person) (downstream.Account, error) {
	u, _, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	if u.suspended(c.now()) {
		if err := c.call(ctx, "unsuspend user", http.MethodPut, c.userURL(u.ID, "unsuspend"), nil, nil); err != nil {
			return downstream.Account{}, err
		}
		u.SuspendedTill = nil
	}
	return c.account(u), nil
}

// suspend suspends user id. A 409 means a concurrent call won the race: the
// user is suspended, which is what was asked. Discourse requires a reason.
func (c *Client) suspend(ctx context.Context, id int, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		text = "Membership of the co-op ended."
	}
	body := map[string]string{"suspend_until": suspendUntil, "reason": clipRunes(text, 300)}
	err := c.call(ctx, "suspend user", http.MethodPut, c.userURL(id, "suspend"), body, nil)
	if hasStatus(err, http.StatusConflict) {
		return nil
	}
	return staffRefusal(err)
}

func (c *Client) account(u adminUser) downstream.Account {
	return downstream.Account{RemoteID: strconv.Itoa(u.ID), State: u.state(c.now())}
}

func clipRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
