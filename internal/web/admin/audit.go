package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// AuditPage is a page of the audit log, newest first.
type AuditPage struct {
	Action    string // prefix, e.g. "application."
	Actor     string // an email or a person id
	Subject   string
	Entries   []audit.Entry
	OlderURL  string // "" on the last page
	NewestURL string // "" on the first page
	Note      string // why nothing matched, when it is not obvious
}

// auditPageSize is how many events a page shows.
const auditPageSize = 100

// nobody is a person id no one has, for an actor filter that names no one.
const nobody = "00000000-0000-0000-0000-000000000000"

func (h *Handler) showAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	data := AuditPage{Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")),
		Subject: strings.TrimSpace(q.Get("subject"))}
	f := audit.Filter{Action: data.Action, SubjectID: data.Subject, Limit: auditPageSize}
	var err error
	if f.Before, err = beforeID(q.Get("before")); err != nil {
		return err
	}
	if f.ActorID, err = h.actorID(r, data.Actor); err != nil {
		return err
	}
	if f.ActorID == nobody {
		data.Note = "No one has the email " + data.Actor + "."
	}
	if data.Entries, err = audit.List(r.Context(), h.Pool, f); err != nil {
		return err
	}
	if f.Before != 0 {
		q.Del("before")
		data.NewestURL = r.URL.Path + "?" + q.Encode()
	}
	if n := len(data.Entries); n == auditPageSize {
		data.OlderURL = withQuery(r.URL, "before", strconv.FormatInt(data.Entries[n-1].ID, 10))
	}
	return h.Render.Render(w, r, http.StatusOK, "admin/audit", "Audit log", data)
}

// beforeID reads ?before=, the id of the event a page of the log starts
// after: an event id, or nothing for the newest page.
func beforeID(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, page.BadRequest("The address of this page of the audit log is wrong: “before” must be an event number. Start again from the newest page.")
	}
	return id, nil
}

// actorID turns the actor filter, an email or a person id, into a person id.
func (h *Handler) actorID(r *http.Request, actor string) (string, error) {
	if !strings.Contains(actor, "@") {
		return actor, nil
	}
	p, err := people.ByEmail(r.Context(), h.Pool, actor)
	if errors.Is(err, people.ErrNotFound) {
		return nobody, nil
	}
	if err != nil {
		return "", err
	}
	return p.ID, nil
}
