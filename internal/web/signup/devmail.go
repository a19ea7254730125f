package signup

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/mail"
)

// DevMailPage lists the mail `coopgate dev` printed, newest first, so a
// newcomer can open their verification link in the browser.
type DevMailPage struct{ Mails []mail.DevMail }

// showDevMail is mounted only in development: elsewhere the route does not
// exist at all. The mail holds live single-use links.
func (h *Handler) showDevMail(w http.ResponseWriter, r *http.Request) error {
	mails, err := mail.Recent(r.Context(), h.Pool, 50)
	if err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/dev_mail", "Mail sent (development)", DevMailPage{Mails: mails})
}
