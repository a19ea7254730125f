package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	gomastodon "github.com/mattn/go-mastodon"
	"github.com/tomnomnom/linkheader"

	"github.com/coopgate/coopgate/internal/downstream"
)

// Paging through the admin list: 200 is Mastodon's maximum page size, and
// the page cap stops a runaway loop (20,000 accounts is far beyond a co-op).
const (
	pageSize = "200"
	maxPages = 100
)

// AdminAccount is the part of Mastodon's Admin::Account entity coopgate reads.
type AdminAccount struct {
	ID        string    `json:"id"`
	Username  string    `json:"username"`
	Domain    *string   `json:"domain"` // nil for local accounts
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
	Confirmed bool      `json:"confirmed"`
	Approved  bool      `json:"approved"`
	Disabled  bool      `json:"disabled"`
	Suspended bool      `json:"suspended"`
}

// State maps Mastodon's flags onto coopgate's states. "Disabled" (frozen) is
// a moderator's action coopgate neither takes nor undoes, so it does not
// change the state.
func (a AdminAccount) State() downstream.State {
	switch {
	case a.Suspended:
		return downstream.StateSuspended
	case !a.Approved:
		return downstream.StatePending
	}
	return downstream.StateActive
}

// Account is the account as the job runner records it.
func (a AdminAccount) Account() downstream.Account {
	return downstream.Account{RemoteID: a.ID, State: a.State()}
}

func fromLibrary(a *gomastodon.AdminAccount) AdminAccount {
	out := AdminAccount{
		ID: string(a.ID), Username: a.Username, Email: a.Email, CreatedAt: a.CreatedAt,
		Confirmed: a.Confirmed, Approved: a.Approved, Disabled: a.Disabled, Suspended: a.Suspended,
	}
	if a.Domain != "" {
		out.Domain = &a.Domain
	}
	return out
}

// PendingAccounts lists the local accounts waiting for approval.
func (c *Client) PendingAccounts(ctx context.Context) ([]AdminAccount, error) {
	var pending []AdminAccount
	q := url.Values{"origin": {"local"}, "status": {"pending"}, "limit": {pageSize}}
	err := c.listAccounts(ctx, "list pending accounts", q, func(a AdminAccount) bool {
		pending = append(pending, a)
		return true
	})
	return pending, err
}

// Reject rejects a pending sign-up, which deletes it. An account that is
// already gone counts as rejected.
func (c *Client) Reject(ctx context.Context, id string) error {
	_, err := c.api.AdminAccountReject(ctx, gomastodon.ID(id))
	if err == nil {
		return nil
	}
	err = classify("reject account", err)
	var de *downstream.Error
	if errors.As(err, &de) && de.Status == http.StatusNotFound {
		return nil
	}
	return err
}

// SweepPending rejects pending local sign-ups whose email belongs to nobody
// admitted, when Config.RejectUnknownPending is on; otherwise it does
// nothing. admitted answers for one email. It returns what it rejected.
func (c *Client) SweepPending(ctx context.Context, admitted func(ctx context.Context, email string) (bool, error)) ([]AdminAccount, error) {
	if !c.cfg.RejectUnknownPending {
		return nil, nil
	}
	pending, err := c.PendingAccounts(ctx)
	if err != nil {
		return nil, err
	}
	var rejected []AdminAccount
	for _, a := range pending {
		ok, err := admitted(ctx, a.Email)
		if err != nil {
			return rejected, err
		}
		if ok {
			continue
		}
		if err := c.Reject(ctx, a.ID); err != nil {
			return rejected, err
		}
		rejected = append(rejected, a)
	}
	return rejected, nil
}

// findLocal finds the local account whose field equals value. Mastodon's
// email and username filters are case-insensitive prefix matches (and "_"
// is a LIKE wildcard), so every candidate is compared exactly here.
func (c *Client) findLocal(ctx context.Context, field, value string) (AdminAccount, error) {
	var found *AdminAccount
	q := url.Values{"origin": {"local"}, field: {value}, "limit": {pageSize}}
	err := c.listAccounts(ctx, "find account", q, func(a AdminAccount) bool {
		have := a.Email
		if field == "username" {
			have = a.Username
		}
		if strings.EqualFold(have, value) {
			found = &a
			return false
		}
		return true
	})
	switch {
	case err != nil:
		return AdminAccount{}, err
	case found == nil:
		return AdminAccount{}, downstream.ErrNotFound
	}
	return *found, nil
}

// listAccounts walks GET /api/v2/admin/accounts page by page, calling visit
// for each account until visit returns false.
func (c *Client) listAccounts(ctx context.Context, op string, q url.Values, visit func(AdminAccount) bool) error {
	u := c.base.JoinPath("api/v2/admin/accounts")
	u.RawQuery = q.Encode()
	for range maxPages {
		var batch []AdminAccount
		header, err := c.getJSON(ctx, op, u, &batch)
		if err != nil {
			return err
		}
		for _, a := range batch {
			if !visit(a) {
				return nil
			}
		}
		next, ok := nextPage(header)
		if !ok || len(batch) == 0 {
			return nil
		}
		u.RawQuery = next
	}
	return downstream.Refused(name, op, "too many pages of accounts; stopped")
}

// nextPage returns the query of the Link header's rel="next". Only the query
// is kept and sent back to base_url: Mastodon builds the link from its public
// domain, which may not be the address coopgate reaches it at, and the token
// must never go to a host coopgate was not configured with.
func nextPage(h http.Header) (string, bool) {
	for _, l := range linkheader.Parse(h.Get("Link")).FilterByRel("next") {
		if u, err := url.Parse(l.URL); err == nil && u.RawQuery != "" {
			return u.RawQuery, true
		}
	}
	return "", false
}

func (c *Client) getJSON(ctx context.Context, op string, u *url.URL, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, downstream.NetworkError(name, op, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", downstream.UserAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, downstream.NetworkError(name, op, err)
	}
	return resp.Header, downstream.ReadJSON(name, op, resp, out)
}
