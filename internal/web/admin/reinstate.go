package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// reinstate admits a former member again.
func (h *Handler) reinstate(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := h.Admission.Reinstate(r.Context(), id, page.Actor(r))
	switch {
	case errors.Is(err, admission.ErrWrongStatus):
		return h.answerWrongStatus(w, r)
	case errors.Is(err, people.ErrNotFound):
		return page.NotFound()
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/admin/people/"+id+"?done=reinstated")
}
