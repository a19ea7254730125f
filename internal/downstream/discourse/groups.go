package discourse

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/downstream"
)

// syncGroups adds the user to every Discourse group its coopgate groups map
// to and that it is not in yet. It only adds: Discourse staff also manage
// group membership by hand, and coopgate must not undo their work. Group
// names are compared as Discourse does, ignoring case (group_map may say
// "members" for the group "Members"); should the user be in it all the same,
// Discourse's 422 "is already a member" is what was wanted.
func (c *Client) syncGroups(ctx context.Context, u adminUser, coopGroups []string) error {
	for _, want := range c.mappedGroups(coopGroups) {
		if slices.ContainsFunc(u.Groups, func(g group) bool { return strings.EqualFold(g.Name, want) }) {
			continue
		}
		id, err := c.groupID(ctx, want)
		if err != nil {
			return err
		}
		body := map[string]string{"usernames": u.Username}
		members := c.path("groups", strconv.Itoa(id), "members.json")
		err = c.call(ctx, "add user to group "+want, http.MethodPut, members, body, nil)
		if err != nil && !alreadyMember(err) {
			return err
		}
	}
	return nil
}

// alreadyMember is Discourse's 422 for adding members who all are in the
// group already (groups.errors.member_already_exist in server.en.yml: "… is
// already a member of this group." / "… are already members …").
func alreadyMember(err error) bool {
	var de *downstream.Error
	return errors.As(err, &de) && de.Status == http.StatusUnprocessableEntity && strings.Contains(de.Message, "already")
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
