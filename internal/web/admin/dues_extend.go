package admin

import (
	"errors"
	"net/http"
	"time"

	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// extendDues records a later paid-until date on the member's register
// entry, through membership.Extend, and goes back to the list it came from.
func (h *Handler) extendDues(w http.ResponseWriter, r *http.Request) error {
	id, list := r.PathValue("id"), listOf(r.PostFormValue("list"))
	typed := DueRow{Due: membership.Due{Person: &people.Person{ID: id}}, Reason: r.PostFormValue("reason"),
		ExtendTo: r.PostFormValue("paid_until")}
	day, err := time.Parse(time.DateOnly, typed.ExtendTo)
	if err != nil {
		typed.ExtendError = "Enter the date as YYYY-MM-DD, e.g. 2026-03-31."
		return h.renderDues(w, r, http.StatusUnprocessableEntity, list, "", &typed)
	}
	err = h.Membership.Extend(r.Context(), id, day, page.Actor(r))
	switch {
	case errors.Is(err, people.ErrNotFound):
		return page.NotFound()
	case errors.Is(err, membership.ErrBadDate):
		typed.ExtendError = "Give a date later than the present paid-until date, and not before today."
		return h.renderDues(w, r, http.StatusUnprocessableEntity, list, "", &typed)
	case errors.Is(err, membership.ErrNotLinked):
		return h.renderDues(w, r, http.StatusConflict, list, "Nothing was changed: they are not linked to a register entry.", nil)
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/admin/membership/dues?list="+string(list)+"&done=extended")
}
