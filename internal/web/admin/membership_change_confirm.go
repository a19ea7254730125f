package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/web/page"
)

// whyEnded asks for the reason a membership ends.
const whyEnded = "Say why the membership ends: it is mailed to them and kept in the audit log."

// confirmChange carries a waiting change out through membership.Confirm:
// an ending ends the person's sessions and tokens, mails them and
// suspends their service accounts; a reinstatement reinstates them.
func (h *Handler) confirmChange(w http.ResponseWriter, r *http.Request) error {
	id := changeID(r)
	if id == 0 {
		return page.NotFound()
	}
	typed := ChangeRow{Change: membership.Change{ID: id}, Reason: r.PostFormValue("reason")}
	ends := r.PostFormValue("kind") != string(membership.KindReinstate)
	if ends {
		if typed.ReasonError = reasonProblem(typed.Reason, whyEnded); typed.ReasonError != "" {
			return h.renderChanges(w, r, http.StatusUnprocessableEntity, "", &typed)
		}
	}
	err := h.Membership.Confirm(r.Context(), id, typed.Reason, page.Actor(r))
	if errors.Is(err, membership.ErrChangeDecided) {
		return h.renderChanges(w, r, http.StatusConflict,
			"Nothing was changed: that change was decided already, or the person's standing changed since. The list shows what is waiting now.", nil)
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/admin/membership/changes?done=confirmed")
}
