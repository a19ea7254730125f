package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/web/page"
)

// cease ends a membership. admission.Cease ends the person's sessions and
// tokens, mails them and suspends their service accounts, with its audit
// event, in one transaction.
func (h *Handler) cease(w http.ResponseWriter, r *http.Request) error {
	data, err := h.personPage(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data.CeaseReason = r.PostFormValue("reason")
	data.CeaseError = reasonProblem(data.CeaseReason, "Say why the membership ends: it is mailed to them and kept in the audit log.")
	if data.CeaseError != "" {
		return h.renderPerson(w, r, http.StatusUnprocessableEntity, data)
	}
	err = h.Admission.Cease(r.Context(), data.Person.ID, data.CeaseReason, page.Actor(r))
	if errors.Is(err, admission.ErrWrongStatus) {
		return h.answerWrongStatus(w, r)
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/admin/people/"+data.Person.ID+"?done=ceased")
}

// answerWrongStatus answers an action the person's standing no longer allows
// (someone else acted first, or the page was old): the page as it is now.
func (h *Handler) answerWrongStatus(w http.ResponseWriter, r *http.Request) error {
	data, err := h.personPage(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	data.Notice = "Nothing was changed: that is not possible while their status is " + string(data.Person.Status) + ". This page shows where they stand now."
	return h.renderPerson(w, r, http.StatusConflict, data)
}
