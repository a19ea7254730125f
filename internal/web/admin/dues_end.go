package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// endLapsed ends a lapsed member's membership from the lapsed list, with
// the reason mailed to them, through membership.EndLapsed.
func (h *Handler) endLapsed(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	typed := DueRow{Due: membership.Due{Person: &people.Person{ID: id}}, Reason: r.PostFormValue("reason"),
		ExtendTo: r.PostFormValue("paid_until")}
	if typed.ReasonError = reasonProblem(typed.Reason, whyEnded); typed.ReasonError != "" {
		return h.renderDues(w, r, http.StatusUnprocessableEntity, membership.ListLapsed, "", &typed)
	}
	err := h.Membership.EndLapsed(r.Context(), id, typed.Reason, page.Actor(r))
	switch {
	case errors.Is(err, people.ErrNotFound):
		return page.NotFound()
	case errors.Is(err, membership.ErrNotLapsed), errors.Is(err, admission.ErrWrongStatus):
		return h.renderDues(w, r, http.StatusConflict, membership.ListLapsed,
			"Nothing was changed: their dues are no longer lapsed, or their membership changed meanwhile. The list shows where things stand now.", nil)
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/admin/membership/dues?list=lapsed&done=ended")
}
