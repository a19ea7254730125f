package account

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/web/page"
)

// emailAddPerson throttles requests to add an address: each mails a link.
var emailAddPerson = ratelimit.Rule{Name: "email-add", Max: 5, Window: time.Hour}

// addEmail mails a confirmation link to the new address. An address that
// belongs to someone else gets the same answer and no mail, so the form
// tells no one who has an account; the member's own addresses are named.
func (h *Handler) addEmail(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	ctx := r.Context()
	data := EmailsPage{NewEmail: people.NormalizeEmail(r.PostFormValue("email"))}
	others, err := people.OtherEmails(ctx, h.Pool, me.ID)
	if err != nil {
		return err
	}
	data.Error = h.emailProblem(data.NewEmail, me, others)
	if data.Error != "" {
		return h.renderEmails(w, r, http.StatusUnprocessableEntity, me, data)
	}
	if within, err := h.Limiter.Hit(ctx, emailAddPerson, me.ID); err != nil || !within {
		return errors.Join(err, page.TooMany("Too many addresses asked for in the last hour. Please wait an hour and try again."))
	}
	if err := h.Admission.RequestOtherEmail(ctx, me.ID, data.NewEmail); err != nil {
		return err
	}
	return h.renderEmails(w, r, http.StatusOK, me, EmailsPage{Sent: data.NewEmail})
}

// emailProblem is what is wrong with an address typed to add, or "".
func (h *Handler) emailProblem(email string, me *people.Person, others []people.OtherEmail) string {
	switch {
	case email == "":
		return "Enter the email address to add."
	case len(email) > 254:
		return "This email address is too long."
	case h.forms.Check(struct {
		Email string `form:"email" validate:"email"`
	}{email}, nil).Any() || strings.ContainsAny(email, " \t\r\n<>,;\"") || strings.Count(email, "@") != 1:
		return "Enter an email address like name@example.coop."
	case email == me.Email:
		return "This is your login email already."
	case slices.ContainsFunc(others, func(o people.OtherEmail) bool { return o.Email == email }):
		return "This address is yours already."
	case len(others) >= people.MaxOtherEmails:
		return "You have as many addresses as an account can hold. Remove one first."
	}
	return ""
}
