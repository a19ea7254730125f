package account

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// removeEmail takes one of the member's other addresses off their account;
// the standing it helped decide stays.
func (h *Handler) removeEmail(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	err := h.Admission.RemoveOtherEmail(r.Context(), me.ID, r.PostFormValue("email"), page.Actor(r))
	if errors.Is(err, people.ErrNotFound) {
		return h.renderEmails(w, r, http.StatusConflict, me, EmailsPage{Notice: "That address is not one of yours (it may be removed already)."})
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/account/emails?removed=1")
}
