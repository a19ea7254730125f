package admin

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/web/page"
)

// retry queues the account's sync again. The form is the Retry button's two
// hidden fields; provisioning.Retry checks both (an enabled service, a
// person who exists), so a tampered form gets the same answers.
func (h *Handler) retryAccount(w http.ResponseWriter, r *http.Request) error {
	personID, service := r.PostFormValue("person_id"), r.PostFormValue("service")
	err := h.Downstream.Retry(r.Context(), personID, service, page.Actor(r))
	switch {
	case errors.Is(err, provisioning.ErrNotEnabled):
		return page.BadRequest("That service is not enabled in coopgate's configuration.")
	case errors.Is(err, provisioning.ErrPersonNotFound):
		return page.BadRequest("That person could not be found.")
	case errors.Is(err, provisioning.ErrNothingToRetry):
		return page.BadRequest("This person is neither a member nor a former member, so there is nothing to sync.")
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/admin/downstream?retried=1")
}
