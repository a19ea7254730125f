package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/web/page"
)

// approve admits an applicant. admission.Approve makes a second approval (a
// double click, two secretaries at once) ErrAlreadyDecided, which is a
// notice, not an error.
func (h *Handler) approve(w http.ResponseWriter, r *http.Request) error {
	id := applicationID(r)
	if id == 0 {
		return page.NotFound()
	}
	err := h.Admission.Approve(r.Context(), id, page.Actor(r))
	if errors.Is(err, admission.ErrAlreadyDecided) {
		return h.answerAlreadyDecided(w, r, id)
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/admin/applications?decided="+strconv.FormatInt(id, 10))
}

func (h *Handler) answerAlreadyDecided(w http.ResponseWriter, r *http.Request, id int64) error {
	a, err := h.application(r.Context(), id)
	if err != nil {
		return err
	}
	if a == nil {
		return page.NotFound()
	}
	return h.renderApplications(w, r, http.StatusConflict, alreadyDecidedNotice(a), nil)
}
