// Package mastodon manages members' accounts on the co-op's Mastodon through
// its admin API, with a staff user's token (admin:read:accounts and
// admin:write:accounts), and the instance's domain blocks, which the co-op's
// federation decisions drive (admin:read:domain_blocks and
// admin:write:domain_blocks; domainblocks.go).
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
	http *http.Client // refuses error answers in its transport (transport.go)
	// plain reads error answers itself: a refused domain block's body
	// carries the block in the way.
	plain *http.Client
	api   *gomastodon.Client
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
	plain := downstream.HTTPClient(hc)
	hc = withRefusals(plain)
	api := gomastodon.NewClient(&gomastodon.Config{Server: base.String(), AccessToken: cfg.Token})
	api.Client = *hc
	api.UserAgent = downstream.UserAgent
	return &Client{cfg: cfg, base: base, http: hc, plain: plain, api: api}, nil
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
func (c *Client) Suspend(ctx context.Context, p downstream.Person, text string) (downstream.Account, error) {
	a, err := c.find(ctx, p)
	if errors.Is(err, downstream.ErrNotFound) {
		return downstream.Account{State: downstream.StateMissing}, nil
	}
	if err != nil {
		return downstream.Account{}, err
	}
	before := a.State()
	if !a.Suspended {
		if err := c.suspend(ctx, a.ID, text); err != nil {
			return downstream.Account{}, err
		}
		a.Suspended = true
	}
	out := a.Account()
	out.Before = before
	return out, nil
}

// suspend posts the suspend action without mailing the member: Mastodon's
// Admin::BaseAction sends a "warning" e-mail (and a notification) unless
// send_email_notification is false, and go-mastodon cannot send that field.
// Mastodon records a strike on the account either way
// (Admin::AccountAction#process_strike!). A 403 here, once the account was
// found (which needs the Manage Users permission), is AccountPolicy#suspend?
// refusing by rank: the token's user may only act on lower roles.
func (c *Client) suspend(ctx context.Context, id, text string) error {
	form := url.Values{"type": {"suspend"}, "text": {text}, "send_email_notification": {"false"}}
	err := c.postForm(ctx, "suspend account", c.base.JoinPath("api/v1/admin/accounts", id, "action"), form)
	if de := downstream.AsError(err); de != nil && de.Status == http.StatusForbidden && de.Message == notAllowed {
		de.Because(downstream.KindRefused, "Mastodon lets a staff user act only on accounts of a lower role "+
			"(Moderation → Roles): this account's role is as high as the token user's or higher. Suspend it by hand, "+
			"or remove its role in Mastodon first")
	}
	return err
}

// notAllowed is Mastodon's answer when its policy refuses an admin action
// (Api::BaseController rescues Mastodon::NotPermittedError with it).
const notAllowed = "This action is not allowed"

// postForm sends a form, as Mastodon's admin API takes it, and reads no answer.
func (c *Client) postForm(ctx context.Context, op string, u *url.URL, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return downstream.NetworkError(name, op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", downstream.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return downstream.NetworkError(name, op, err)
	}
	return downstream.ReadJSON(name, op, resp, nil)
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
// while the email on the Mastodon side may be one the member had before. An
// account found by username with an email that was never the member's may
// be a stranger's (anyone can pick a member's name on Mastodon's own sign-up
// form, or have had it before coopgate): it is refused, whatever its state,
// so no approval, suspension or webhook binds it to the member.
func (c *Client) find(ctx context.Context, p downstream.Person) (AdminAccount, error) {
	if p.Email != "" {
		a, err := c.findLocal(ctx, "email", p.Email)
		if !errors.Is(err, downstream.ErrNotFound) {
			return a, err
		}
	}
	if p.Username == "" {
		return AdminAccount{}, downstream.ErrNotFound
	}
	a, err := c.findLocal(ctx, "username", p.Username)
	if err != nil || p.Owns(a.Email) {
		return a, err
	}
	return AdminAccount{}, downstream.Refused(name, "find account", "a Mastodon account has this member's username but an "+
		"email address coopgate has never known for them: it may be someone else's").Because(downstream.KindConflict,
		"check it in Mastodon's moderation; if it is the member's, change its email there to the member's coopgate "+
			"address, then press Retry; if not, suspend or reject it there")
}

// classify turns whatever go-mastodon returned into a *downstream.Error.
func classify(op string, err error) error {
	var apiErr *gomastodon.APIError
	if errors.As(err, &apiErr) {
		return &downstream.Error{Service: name, Op: op, Status: apiErr.StatusCode, Message: apiErr.Message}
	}
	return downstream.NetworkError(name, op, err)
}
