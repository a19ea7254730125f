package discourse

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/coopgate/coopgate/internal/downstream"
)

// syncGroups adds the user to every Discourse group its coopgate groups map
// to and that it is not in yet. It only adds: Discourse staff also manage
// group membership by hand, and coopgate must not undo their work. Asking
// first matters because Discourse answers 422 when every user named is
// already a member.
func (c *Client) syncGroups(ctx context.Context, u adminUser, coopGroups []string) error {
	have := map[string]bool{}
	for _, g := range u.Groups {
		have[g.Name] = true
	}
	for _, want := range c.mappedGroups(coopGroups) {
		if have[want] {
			continue
		}
		id, err := c.groupID(ctx, want)
		if err != nil {
			return err
		}
		body := map[string]string{"usernames": u.Username}
		members := c.path("groups", strconv.Itoa(id), "members.json")
		if err := c.call(ctx, "add user to group "+want, http.MethodPut, members, body, nil); err != nil {
			return err
		}
	}
	return nil
}

// mappedGroups is the sorted set of Discourse group names for coopGroups.
func (c *Client) mappedGroups(coopGroups []string) []string {
	var names []string
	for _, g := range coopGroups {
		if dg, ok := c.cfg.GroupMap[g]; ok && dg != "" && !slices.Contains(names, dg) {
			names = append(names, dg)
		}
	}
	slices.Sort(names)
	return names
}

// groupID looks a group up by name. A missing group is a configuration
// mistake, so the error says which one.
func (c *Client) groupID(ctx context.Context, groupName string) (int, error) {
	var out struct {
		Group struct {
			ID int `json:"id"`
		} `json:"group"`
	}
	op := "find group " + groupName
	err := c.call(ctx, op, http.MethodGet, c.path("groups", url.PathEscape(groupName)+".json"), nil, &out)
	if hasStatus(err, http.StatusNotFound) {
		return 0, downstream.Refused(name, op, "no such Discourse group; check downstream.discourse.group_map")
	}
	return out.Group.ID, err
}
