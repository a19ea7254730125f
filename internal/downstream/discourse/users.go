package discourse

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coopgate/coopgate/internal/downstream"
)

// adminUser is the part of GET /admin/users/{id}.json coopgate reads.
type adminUser struct {
	ID       int    `json:"id"`
	Username string `json:"username"`
	Active   bool   `json:"active"`
	// Approved is only sent when the site setting must_approve_users is on.
	Approved *bool `json:"approved"`
	// SuspendedTill is only sent while the user is suspended.
	SuspendedTill *time.Time     `json:"suspended_till"`
	Groups        []group        `json:"groups"`
	ExternalIDs   map[string]any `json:"external_ids"`
}

type group struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func (u adminUser) suspended(now time.Time) bool {
	return u.SuspendedTill != nil && u.SuspendedTill.After(now)
}

func (u adminUser) state(now time.Time) downstream.State {
	switch {
	case u.suspended(now):
		return downstream.StateSuspended
	case !u.Active || (u.Approved != nil && !*u.Approved):
		return downstream.StatePending
	}
	return downstream.StateActive
}

// linkedElsewhere says the user is tied to a different OIDC sub.
func (u adminUser) linkedElsewhere(sub string) bool {
	v, ok := u.ExternalIDs[Provider]
	return ok && fmt.Sprint(v) != sub
}

// locate finds the member's user, linking one found by email to their sub,
// or creates it.
func (c *Client) locate(ctx context.Context, p downstream.Person) (adminUser, error) {
	u, linked, err := c.find(ctx, p)
	switch {
	case errors.Is(err, downstream.ErrNotFound):
		return c.create(ctx, p)
	case err != nil:
		return adminUser{}, err
	case !linked:
		body := map[string]any{"external_ids": map[string]string{Provider: p.Subject}}
		u2 := c.path("u", url.PathEscape(u.Username)+".json")
		if err := c.call(ctx, "link user to coopgate", http.MethodPut, u2, body, nil); err != nil {
			return adminUser{}, err
		}
	}
	return u, nil
}

// find returns the member's user: the one linked to their sub, or else the
// one with their email (linked is then false). A user with their email that
// is linked to another sub is refused: coopgate's emails are unique, so that
// link is stale and a person should look at it.
func (c *Client) find(ctx context.Context, p downstream.Person) (u adminUser, linked bool, err error) {
	id, err := c.byExternalID(ctx, p.Subject)
	if err == nil {
		u, err = c.adminUser(ctx, id)
		return u, true, err
	}
	if !errors.Is(err, downstream.ErrNotFound) || p.Email == "" {
		return adminUser{}, false, err
	}
	if id, err = c.byEmail(ctx, p.Email); err != nil {
		return adminUser{}, false, err
	}
	if u, err = c.adminUser(ctx, id); err == nil && u.linkedElsewhere(p.Subject) {
		err = downstream.Refused(name, "find user", "the user with this email is linked to another coopgate account; check it by hand")
	}
	return u, false, err
}

func (c *Client) byExternalID(ctx context.Context, sub string) (int, error) {
	if sub == "" {
		return 0, downstream.ErrNotFound
	}
	var out struct {
		User struct {
			ID int `json:"id"`
		} `json:"user"`
	}
	u := c.path("u", "by-external", Provider, url.PathEscape(sub)+".json")
	err := c.call(ctx, "find user", http.MethodGet, u, nil, &out)
	if hasStatus(err, http.StatusNotFound) {
		return 0, downstream.ErrNotFound
	}
	return out.User.ID, err
}

// byEmail uses the admin list's exact (primary) email filter.
func (c *Client) byEmail(ctx context.Context, email string) (int, error) {
	var out []struct {
		ID int `json:"id"`
	}
	u := c.path("admin", "users", "list", "active.json")
	u.RawQuery = url.Values{"email": {email}}.Encode()
	if err := c.call(ctx, "find user by email", http.MethodGet, u, nil, &out); err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, downstream.ErrNotFound
	}
	return out[0].ID, nil
}

func (c *Client) adminUser(ctx context.Context, id int) (adminUser, error) {
	var u adminUser
	err := c.call(ctx, "read user", http.MethodGet, c.userURL(id, ""), nil, &u)
	return u, err
}

// create makes the user active, approved and linked to the member's sub.
// The password is random and thrown away: members log in through coopgate.
func (c *Client) create(ctx context.Context, p downstream.Person) (adminUser, error) {
	body := map[string]any{
		"name": cmp.Or(p.Name, p.Username), "email": p.Email, "username": p.Username, "password": randomPassword(),
		"active": true, "approved": true, "external_ids": map[string]string{Provider: p.Subject},
	}
	var out createAnswer
	if err := c.call(ctx, "create user", http.MethodPost, c.path("users.json"), body, &out); err != nil {
		return adminUser{}, err
	}
	if !out.Success {
		return adminUser{}, out.refusal()
	}
	id, err := c.createdID(ctx, p.Subject, out.UserID)
	if err != nil {
		return adminUser{}, err
	}
	return c.adminUser(ctx, id)
}

// createdID is the new user's id. Discourse leaves it out when the site
// hides whether an email is taken; the user is then found by its link, and
// if there is none the email belonged to someone else.
func (c *Client) createdID(ctx context.Context, sub string, id *int) (int, error) {
	if id != nil {
		return *id, nil
	}
	found, err := c.byExternalID(ctx, sub)
	if errors.Is(err, downstream.ErrNotFound) {
		return 0, downstream.Refused(name, "create user", "Discourse did not create the user; the email may belong to another account")
	}
	return found, err
}

// admit activates and approves the user where needed. Discourse only
// approves an active user, so activation comes first.
func (c *Client) admit(ctx context.Context, u adminUser) (adminUser, error) {
	if !u.Active {
		if err := c.call(ctx, "activate user", http.MethodPut, c.userURL(u.ID, "activate"), nil, nil); err != nil {
			return u, err
		}
		u.Active = true
	}
	if u.Approved != nil && !*u.Approved {
		if err := c.call(ctx, "approve user", http.MethodPut, c.userURL(u.ID, "approve"), nil, nil); err != nil {
			return u, err
		}
		approved := true
		u.Approved = &approved
	}
	return u, nil
}

func randomPassword() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// userURL is /admin/users/{id}.json, or /admin/users/{id}/{action}.json.
func (c *Client) userURL(id int, action string) *url.URL {
	if action == "" {
		return c.path("admin", "users", strconv.Itoa(id)+".json")
	}
	return c.path("admin", "users", strconv.Itoa(id), action+".json")
}

// path joins already-escaped segments onto base_url.
func (c *Client) path(segments ...string) *url.URL { return c.base.JoinPath(segments...) }

// call sends one API request with a JSON body (if any) and decodes the JSON
// answer into out (if any).
func (c *Client) call(ctx context.Context, op, method string, u *url.URL, body, out any) error {
	return explain(downstream.CallJSON(ctx, c.http, name, op, method, u, c.auth, body, out))
}

func hasStatus(err error, status int) bool {
	var de *downstream.Error
	return errors.As(err, &de) && de.Status == status
}
