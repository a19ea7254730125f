package admin

import (
	"net/http"
	"slices"
	"strings"

	"github.com/coopgate/coopgate/internal/people"
)

// PeoplePage lists people with filters.
type PeoplePage struct {
	Status   string
	Role     string
	Search   string
	Statuses []people.Status
	People   []people.Person
	Pager    Pager
}

func (h *Handler) showPeople(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data := PeoplePage{Search: strings.TrimSpace(q.Get("q")), Statuses: people.Statuses()}
	if s := people.Status(q.Get("status")); slices.Contains(data.Statuses, s) {
		data.Status = string(s)
	}
	if q.Get("role") == people.RoleSecretary {
		data.Role = people.RoleSecretary
	}
	num, offset := pageOffset(r)
	pg, err := people.List(r.Context(), h.Pool, people.Filter{Status: people.Status(data.Status), Role: data.Role,
		Search: data.Search, Limit: pageSize, Offset: offset})
	if err != nil {
		return err
	}
	data.People, data.Pager = pg.People, newPager(r, num, pg.Total)
	return h.Render.Render(w, r, http.StatusOK, "admin/people", "People", data)
}
