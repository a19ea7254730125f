package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/web/page"
)

// retryHeld is the secretary saying "I have changed that setting on the
// service": every account that a setting there held goes again.
func (h *Handler) retryHeld(w http.ResponseWriter, r *http.Request) error {
	service := r.PostFormValue("service")
	n, err := h.Downstream.RetryHeld(r.Context(), service, page.Actor(r))
	if errors.Is(err, provisioning.ErrNotEnabled) {
		return page.BadRequest("That service is not enabled in coopgate's configuration.")
	}
	if err != nil {
		return err
	}
	q := url.Values{"released": {strconv.Itoa(n)}, "service": {service}}
	return page.Redirect(w, r, "/admin/downstream?"+q.Encode())
}
