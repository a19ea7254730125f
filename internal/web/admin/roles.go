package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// setRole gives the person a role the secretary may grant (moderator), or
// takes it away; admission audits it.
func (h *Handler) setRole(w http.ResponseWriter, r *http.Request) error {
	id, role := r.PathValue("id"), r.PostFormValue("role")
	granted := r.PostFormValue("granted") == "true"
	err := h.Admission.SetRole(r.Context(), id, role, granted, page.Actor(r))
	switch {
	case errors.Is(err, people.ErrNotFound):
		return page.NotFound()
	case errors.Is(err, admission.ErrRoleNotGrantable):
		return page.BadRequest("That role cannot be given here.")
	case err != nil:
		return err
	}
	done := "role_granted"
	if !granted {
		done = "role_revoked"
	}
	return page.Redirect(w, r, "/admin/people/"+id+"?done="+done)
}
