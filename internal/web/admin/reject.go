package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/web/page"
)

// maxReasonLen bounds a reason typed for an applicant or a member: it goes
// out by mail and into the audit log.
const maxReasonLen = 2000

// whyRejected asks for the reason an application is turned down.
const whyRejected = "Say why, in words the applicant will read: it is mailed to them."

// reject turns an application down with a reason, which is mailed to the
// applicant; without one, the queue comes back with the error beside it.
func (h *Handler) reject(w http.ResponseWriter, r *http.Request) error {
	id := applicationID(r)
	if id == 0 {
		return page.NotFound()
	}
	form := rejectForm{ID: id, Reason: r.PostFormValue("reason")}
	if form.Error = reasonProblem(form.Reason, whyRejected); form.Error != "" {
		return h.renderApplications(w, r, http.StatusUnprocessableEntity, "", &form)
	}
	err := h.Admission.Reject(r.Context(), id, form.Reason, page.Actor(r))
	switch {
	case errors.Is(err, admission.ErrAlreadyDecided):
		return h.answerAlreadyDecided(w, r, id)
	case errors.Is(err, admission.ErrReasonRequired):
		form.Error = whyRejected
		return h.renderApplications(w, r, http.StatusUnprocessableEntity, "", &form)
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/admin/applications?decided="+strconv.FormatInt(id, 10))
}

// reasonProblem is what is wrong with a required reason, or "".
func reasonProblem(reason, missing string) string {
	switch {
	case strings.TrimSpace(reason) == "":
		return missing
	case len(reason) > maxReasonLen:
		return "This is too long (at most " + strconv.Itoa(maxReasonLen) + " characters)."
	}
	return ""
}
