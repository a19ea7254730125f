package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/web/page"
)

// dismissChange leaves the person as they are; the change is kept,
// dismissed, with its audit event.
func (h *Handler) dismissChange(w http.ResponseWriter, r *http.Request) error {
	id := changeID(r)
	if id == 0 {
		return page.NotFound()
	}
	err := h.Membership.Dismiss(r.Context(), id, page.Actor(r))
	if errors.Is(err, membership.ErrChangeDecided) {
		return h.renderChanges(w, r, http.StatusConflict, "Nothing was changed: that change was decided already.", nil)
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/admin/membership/changes?done=dismissed")
}
