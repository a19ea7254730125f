package admin

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/web/page"
)

// RegisterPage is a page of the member register.
type RegisterPage struct {
	Search   string
	Standing string
	Entries  []register.Entry
	Pager    Pager
	Notice   string
	// Queued is how many membership changes the import just confirmed
	// left waiting, for a link to them.
	Queued int
}

func (h *Handler) showRegister(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data := RegisterPage{Search: strings.TrimSpace(q.Get("q")), Notice: importedNotice(r)}
	data.Queued, _ = strconv.Atoi(q.Get("queued"))
	if s := register.Standing(q.Get("standing")); s == register.StandingActive || s == register.StandingCeased {
		data.Standing = string(s)
	}
	num, offset := pageOffset(r)
	pg, err := register.List(r.Context(), h.Pool, register.Filter{Search: data.Search,
		Standing: register.Standing(data.Standing), Limit: pageSize, Offset: offset})
	if err != nil {
		return err
	}
	data.Entries, data.Pager = pg.Entries, newPager(r, num, pg.Total)
	return h.Render.Render(w, r, http.StatusOK, "admin/register", "Member register", data)
}

// importedNotice reports a confirmed import, whose counts the confirmation
// passed on in the query.
func importedNotice(r *http.Request) string {
	q := r.URL.Query()
	if q.Get("imported") == "" {
		return ""
	}
	n := func(key string) int { v, _ := strconv.Atoi(q.Get(key)); return v }
	notice := fmt.Sprintf("Imported: %d added, %d updated, %d unchanged.", n("added"), n("updated"), n("unchanged"))
	if applied := n("applied"); applied > 0 {
		notice += fmt.Sprintf(" %d memberships ended or reinstated as the register says (membership.apply_register_endings: automatic).", applied)
	}
	return notice
}

// exportRegister sends the whole register as CSV. It is built in memory
// first, so a failure half-way is an error page, not half a file; the
// export of members' personal data is recorded in the audit log.
func (h *Handler) exportRegister(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := register.ExportCSV(r.Context(), h.Pool, &buf); err != nil {
		return err
	}
	if err := audit.Record(r.Context(), h.Pool, page.Actor(r), audit.Event{Action: "register.export", SubjectType: "register"}); err != nil {
		return err
	}
	return sendCSV(w, "member-register", &buf)
}

// sendCSV writes buf as a CSV download named for what it is and today.
func sendCSV(w http.ResponseWriter, name string, buf *bytes.Buffer) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.csv"`, name, time.Now().UTC().Format(time.DateOnly)))
	_, err := buf.WriteTo(w)
	return err
}
