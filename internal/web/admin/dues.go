package admin

import (
	"net/http"
	"time"

	"github.com/coopgate/coopgate/internal/membership"
)

// DuesPage is one of the secretary's dues lists: lapsing soon, in grace,
// or lapsed, with "extend" on each and, for the lapsed, "end membership".
type DuesPage struct {
	List   membership.List
	Tabs   []DuesTab
	Rows   []DueRow
	Notice string
	Grace  int // the co-op's grace_days
}

// DuesTab links to one list.
type DuesTab struct {
	List    membership.List
	Label   string
	Current bool
}

// DueRow is one member on the list and the forms beside them.
type DueRow struct {
	membership.Due
	Reason      string
	ReasonError string
	ExtendTo    string // YYYY-MM-DD, as the date field takes it
	ExtendError string
}

// Lapsed reports whether the row's member may be ended for their dues.
func (d DueRow) Lapsed() bool { return d.Standing == membership.Lapsed }

var duesLists = []DuesTab{
	{List: membership.ListLapsed, Label: "Lapsed"},
	{List: membership.ListInGrace, Label: "In grace"},
	{List: membership.ListLapsing, Label: "Lapsing in 30 days"},
}

func (h *Handler) showDues(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	switch r.URL.Query().Get("done") {
	case "ended":
		notice = "The membership has ended. Their sessions and tokens ended with it, and they have been told by mail."
	case "extended":
		notice = "Their dues are extended on the register."
	}
	return h.renderDues(w, r, http.StatusOK, listOf(r.URL.Query().Get("list")), notice, nil)
}

// listOf is the list a request names; lapsed by default.
func listOf(s string) membership.List {
	for _, t := range duesLists {
		if string(t.List) == s {
			return t.List
		}
	}
	return membership.ListLapsed
}

// renderDues shows list; typed, if given, is a form that came back with an
// error, shown as it was typed.
func (h *Handler) renderDues(w http.ResponseWriter, r *http.Request, status int, list membership.List, notice string, typed *DueRow) error {
	dues, err := h.Membership.Dues(r.Context(), h.Pool, list)
	if err != nil {
		return err
	}
	data := DuesPage{List: list, Notice: notice, Grace: h.Membership.Policy.GraceDays}
	for _, t := range duesLists {
		t.Current = t.List == list
		data.Tabs = append(data.Tabs, t)
	}
	today := h.Membership.Now()
	for _, d := range dues {
		row := DueRow{Due: d, Reason: d.SuggestedReason(), ExtendTo: membership.NextPaidUntil(d.PaidUntil, today).Format(time.DateOnly)}
		if typed != nil && typed.Person.ID == d.Person.ID {
			row.Reason, row.ReasonError, row.ExtendTo, row.ExtendError = typed.Reason, typed.ReasonError, typed.ExtendTo, typed.ExtendError
		}
		data.Rows = append(data.Rows, row)
	}
	title := "Dues: " + string(list)
	for _, t := range data.Tabs {
		if t.Current {
			title = "Dues: " + t.Label
		}
	}
	return h.Render.Render(w, r, status, "admin/dues", title, data)
}
