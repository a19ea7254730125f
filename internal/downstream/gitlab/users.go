package gitlab

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream"
)

// The user states GitLab reports that coopgate acts on.
const (
	stateActive          = "active"
	stateBlocked         = "blocked"
	statePendingApproval = "blocked_pending_approval"
)

type identity struct {
	Provider  string `json:"provider"`
	ExternUID string `json:"extern_uid"`
}

// user is the part of GitLab's admin view of a user coopgate reads.
type user struct {
	ID         int        `json:"id"`
	Username   string     `json:"username"`
	Email      string     `json:"email"`
	State      string     `json:"state"`
	Identities []identity `json:"identities"`
}

func (u user) account() downstream.Account {
	state := downstream.StateActive
	switch u.State {
	case statePendingApproval:
		state = downstream.StatePending
	case stateBlocked, "ldap_blocked", "banned":
		state = downstream.StateSuspended
	}
	// "deactivated" stays active: GitLab reactivates a dormant user at login.
	return downstream.Account{RemoteID: strconv.Itoa(u.ID), State: state}
}

// uid is the extern_uid the user has for provider, if any.
func (u user) uid(provider string) (string, bool) {
	for _, id := range u.Identities {
		if id.Provider == provider {
			return id.ExternUID, true
		}
	}
	return "", false
}

// locate finds the member's user, linking one found by username, or creates it.
func (c *Client) locate(ctx context.Context, p downstream.Person) (user, error) {
	u, linked, err := c.find(ctx, p)
	switch {
	case errors.Is(err, downstream.ErrNotFound):
		return c.create(ctx, p)
	case err != nil:
		return user{}, err
	case !linked:
		body := map[string]string{"extern_uid": p.Subject, "provider": c.cfg.Provider}
		if err := c.call(ctx, "link user to coopgate", http.MethodPut, c.userURL(u.ID, ""), body, &u); err != nil {
			return user{}, err
		}
	}
	return u, nil
}

// find returns the member's user: the one with their OIDC identity, or else
// the one with their username (linked is then false). An account with their
// username is only taken as theirs if it also has their email and no other
// coopgate identity: usernames on an older GitLab may belong to someone else.
func (c *Client) find(ctx context.Context, p downstream.Person) (u user, linked bool, err error) {
	u, err = c.first(ctx, "find user", url.Values{"extern_uid": {p.Subject}, "provider": {c.cfg.Provider}})
	if !errors.Is(err, downstream.ErrNotFound) {
		return u, err == nil, err
	}
	if u, err = c.first(ctx, "find user by username", url.Values{"username": {p.Username}}); err != nil {
		return user{}, false, err
	}
	if uid, ok := u.uid(c.cfg.Provider); ok && uid != p.Subject {
		return user{}, false, downstream.Refused(name, "find user", "the user with this username is linked to another coopgate account; check it by hand")
	}
	if !strings.EqualFold(u.Email, p.Email) {
		return user{}, false, downstream.Refused(name, "find user", "a user with this username exists with another email; link or rename it by hand")
	}
	return u, false, nil
}

// first returns the first user GET /users finds with query.
func (c *Client) first(ctx context.Context, op string, query url.Values) (user, error) {
	if anyEmpty(query) {
		return user{}, downstream.ErrNotFound
	}
	u := c.api.JoinPath("users")
	u.RawQuery = query.Encode()
	var found []user
	if err := c.call(ctx, op, http.MethodGet, u, nil, &found); err != nil {
		return user{}, err
	}
	if len(found) == 0 {
		return user{}, downstream.ErrNotFound
	}
	return found[0], nil
}

func anyEmpty(q url.Values) bool {
	for _, v := range q {
		if len(v) == 0 || v[0] == "" {
			return true
		}
	}
	return false
}

// create makes the user, confirmed and linked to the member's sub, with a
// random password nobody knows: members log in through coopgate.
func (c *Client) create(ctx context.Context, p downstream.Person) (user, error) {
	body := map[string]any{
		"email": p.Email, "username": p.Username, "name": cmp.Or(p.Name, p.Username),
		"extern_uid": p.Subject, "provider": c.cfg.Provider,
		"skip_confirmation": true, "force_random_password": true,
	}
	var u user
	err := c.call(ctx, "create user", http.MethodPost, c.api.JoinPath("users"), body, &u)
	return u, err
}

// action POSTs to /users/:id/{approve,block,unblock}. GitLab answers 201
// whether or not the state changed, so a repeat is harmless.
func (c *Client) action(ctx context.Context, op string, id int, verb string) error {
	return c.call(ctx, op, http.MethodPost, c.userURL(id, verb), nil, nil)
}

func (c *Client) userURL(id int, verb string) *url.URL {
	if verb == "" {
		return c.api.JoinPath("users", strconv.Itoa(id))
	}
	return c.api.JoinPath("users", strconv.Itoa(id), verb)
}

// call sends one API request with a JSON body (if any) and decodes the JSON
// answer into out (if any). A 403 is explained: GitLab's own answer often
// is a bare "403 Forbidden".
func (c *Client) call(ctx context.Context, op, method string, u *url.URL, body, out any) error {
	err := downstream.CallJSON(ctx, c.http, name, op, method, u, c.auth, body, out)
	if downstream.IsStatus(err, http.StatusForbidden) {
		c.explain(ctx, downstream.AsError(err))
	}
	return err
}
