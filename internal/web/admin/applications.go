package admin

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/coopgate/coopgate/internal/admission"
)

// ApplicationsPage is the queue of applications waiting for a decision, with
// the decided ones below.
type ApplicationsPage struct {
	Pending []PendingApplication
	Decided []admission.Application
	State   string // the decided ones shown: "", "approved" or "rejected"
	Notice  string
}

// PendingApplication is one application in the queue with its reject form.
type PendingApplication struct {
	admission.Application
	Reason      string // what the secretary typed, kept after an error
	ReasonError string
}

// rejectForm is a reject form sent back with a problem.
type rejectForm struct {
	ID     int64
	Reason string
	Error  string
}

func (h *Handler) showApplications(w http.ResponseWriter, r *http.Request) error {
	notice := ""
	if id, err := strconv.ParseInt(r.URL.Query().Get("decided"), 10, 64); err == nil {
		a, err := h.application(r.Context(), id)
		if err != nil {
			return err
		}
		notice = decidedNotice(a)
	}
	return h.renderApplications(w, r, http.StatusOK, notice, nil)
}

// renderApplications shows the queue; sent, if any, is a reject form to show
// again with its text and error.
func (h *Handler) renderApplications(w http.ResponseWriter, r *http.Request, status int, notice string, sent *rejectForm) error {
	all, err := admission.Applications(r.Context(), h.Pool, "")
	if err != nil {
		return err
	}
	data := ApplicationsPage{State: decidedState(r.URL.Query().Get("state")), Notice: notice}
	for _, a := range all {
		switch {
		case a.State == "pending":
			pa := PendingApplication{Application: a}
			if sent != nil && sent.ID == a.ID {
				pa.Reason, pa.ReasonError = sent.Reason, sent.Error
			}
			data.Pending = append(data.Pending, pa)
		case data.State == "" || data.State == a.State:
			data.Decided = append(data.Decided, a)
		}
	}
	return h.Render.Render(w, r, status, "admin/applications", "Applications", data)
}

func decidedState(s string) string {
	if s == "approved" || s == "rejected" {
		return s
	}
	return ""
}

// application finds one application by id; nil if there is none.
func (h *Handler) application(ctx context.Context, id int64) (*admission.Application, error) {
	all, err := admission.Applications(ctx, h.Pool, "")
	if err != nil {
		return nil, err
	}
	for _, a := range all {
		if a.ID == id {
			return &a, nil
		}
	}
	return nil, nil
}

// decidedNotice says what became of an application.
func decidedNotice(a *admission.Application) string {
	if a == nil || a.State == "pending" {
		return ""
	}
	return fmt.Sprintf("The application of %s <%s> was %s.", a.Name, a.Email, a.State)
}

// alreadyDecidedNotice answers a decision that came second: a double click,
// or another secretary who was quicker.
func alreadyDecidedNotice(a *admission.Application) string {
	if a == nil || a.State == "pending" {
		return "This application was already decided."
	}
	by := a.DecidedBy
	if by == "" {
		by = "someone else"
	}
	when := ""
	if a.DecidedAt != nil {
		when = " at " + a.DecidedAt.UTC().Format("15:04 UTC on 2 Jan 2006")
	}
	return fmt.Sprintf("The application of %s <%s> was already %s by %s%s. Nothing was changed.", a.Name, a.Email, a.State, by, when)
}

// applicationID reads the {id} of the path; 0 when it is not one.
func applicationID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
