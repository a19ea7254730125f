package admin

import (
	"net/http"
	"strconv"

	"github.com/coopgate/coopgate/internal/membership"
)

// ChangesPage is the "membership changes to confirm": what the register
// asks of linked people, each with its confirm and dismiss forms.
type ChangesPage struct {
	Notice  string
	Changes []ChangeRow
}

// ChangeRow is one change and its form, as typed when it comes back with
// an error.
type ChangeRow struct {
	membership.Change
	Reason      string // the reason mailed on an ending: the register's, unless the secretary rewords it
	ReasonError string
}

// What the kinds of change say, for the page.
func (c ChangeRow) Ends() bool { return c.Kind != membership.KindReinstate }

const changesTitle = "Membership changes to confirm"

func (h *Handler) showChanges(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	switch r.URL.Query().Get("done") {
	case "confirmed":
		notice = "Done. They have been told by mail."
	case "dismissed":
		notice = "Dismissed: they stay as they were. An ending is not proposed again until the register gives another date."
	}
	return h.renderChanges(w, r, http.StatusOK, notice, nil)
}

// renderChanges shows the waiting changes; typed, if given, is a form that
// came back with an error, shown as it was typed.
func (h *Handler) renderChanges(w http.ResponseWriter, r *http.Request, status int, notice string, typed *ChangeRow) error {
	changes, err := membership.Pending(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	data := ChangesPage{Notice: notice}
	for _, c := range changes {
		row := ChangeRow{Change: c, Reason: c.Reason()}
		if typed != nil && typed.ID == c.ID {
			row.Reason, row.ReasonError = typed.Reason, typed.ReasonError
		}
		data.Changes = append(data.Changes, row)
	}
	return h.Render.Render(w, r, status, "admin/membership_changes", changesTitle, data)
}

// changeID is the change named in the path, or 0.
func changeID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
