package account

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
)

// A member adds other email addresses here, each confirmed by a mailed
// link as the first was; they count for admission and for matching the
// member register. The login email is changed at /account/email.

// EmailsPage lists the member's addresses and asks for another.
type EmailsPage struct {
	Login    string
	Others   []people.OtherEmail
	NewEmail string
	Error    string // beside the address field
	Sent     string // the address a link went to
	Notice   string
}

const emailsTitle = "Your email addresses"

func (h *Handler) showEmails(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	data := EmailsPage{}
	if r.URL.Query().Get("removed") != "" {
		data.Notice = "The address is removed from your account."
	}
	return h.renderEmails(w, r, http.StatusOK, me, data)
}

func (h *Handler) renderEmails(w http.ResponseWriter, r *http.Request, status int, me *people.Person, data EmailsPage) error {
	var err error
	if data.Others, err = people.OtherEmails(r.Context(), h.Pool, me.ID); err != nil {
		return err
	}
	data.Login = me.Email
	return h.Render.Render(w, r, status, "account/emails", emailsTitle, data)
}
