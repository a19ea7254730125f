package account

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/web/page"
)

// A member adds other email addresses here, each confirmed by a mailed
// link as the first was; they count for admission and for matching the
// member register. The login email is changed at /account/email.

// emailAddPerson throttles requests to add an address: each mails a link.
var emailAddPerson = ratelimit.Rule{Name: "email-add", Max: 5, Window: time.Hour}

// EmailsPage lists the member's addresses and asks for another.
type EmailsPage struct {
	Login    string
	Others   []people.OtherEmail
	NewEmail string
	Error    string // beside the address field
	Sent     string // the address a link went to
	Notice   string
}

// EmailConfirmPage asks for a click before the link is spent: mail
// scanners fetch every link in a message.
type EmailConfirmPage struct {
	Token string
	Gone  bool // the link expired or was used
}

// EmailAddedPage confirms the address.
type EmailAddedPage struct {
	Email    string
	LoggedIn bool
	Admitted bool // the address admitted them
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

func (h *Handler) removeEmail(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	err := h.Admission.RemoveOtherEmail(r.Context(), me.ID, r.PostFormValue("email"), page.Actor(r))
	if errors.Is(err, people.ErrNotFound) {
		return h.renderEmails(w, r, http.StatusConflict, me, EmailsPage{Notice: "That address is not one of yours (it may be removed already)."})
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/account/emails?removed=1")
}

// showEmailConfirm needs no login: the link proves the address, and the
// member proved the account when they asked for it.
func (h *Handler) showEmailConfirm(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if !h.Admission.TokenUsable(r.Context(), token, admission.PurposeAddEmail) {
		return h.Render.Render(w, r, http.StatusGone, "account/email_confirm", "This link no longer works", EmailConfirmPage{Gone: true})
	}
	return h.Render.Render(w, r, http.StatusOK, "account/email_confirm", "Confirm your email address", EmailConfirmPage{Token: token})
}

func (h *Handler) submitEmailConfirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, email, err := h.Admission.ConfirmOtherEmail(ctx, r.PostFormValue("token"), page.Actor(r))
	switch {
	case errors.Is(err, admission.ErrTokenInvalid):
		return h.Render.Render(w, r, http.StatusGone, "account/email_confirm", "This link no longer works", EmailConfirmPage{Gone: true})
	case errors.Is(err, people.ErrEmailTaken):
		return &page.Error{Status: http.StatusConflict, Err: err,
			Message: "This address was added to another account after you asked for it, so it was not added to yours."}
	case errors.Is(err, people.ErrTooManyEmails):
		return &page.Error{Status: http.StatusConflict, Err: err,
			Message: "Your account holds as many addresses as it can. Remove one and ask again."}
	case err != nil:
		return err
	}
	me := page.Me(ctx)
	data := EmailAddedPage{Email: email, LoggedIn: me != nil && me.ID == p.ID,
		Admitted: p.Status == people.Admitted && (me == nil || me.Status != people.Admitted)}
	return h.Render.Render(w, r, http.StatusOK, "account/email_added", "Email address added", data)
}
