package signup

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// EmailChangePage asks for the new login email and the current password.
type EmailChangePage struct {
	Current  string
	NewEmail string
	Errors   page.FieldErrors
}

type emailChangeForm struct {
	Email    string `form:"email" validate:"required,email,max=254"`
	Password string `form:"password" validate:"required"`
}

var emailChangeMessages = withEmailMessages(map[string]string{
	"email.required":    "Enter your new email address.",
	"password.required": "Enter your current password, to show it's you.",
})

// EmailChangeSentPage says where the confirmation link went.
type EmailChangeSentPage struct{ NewEmail string }

// EmailConfirmPage asks for a click before the link is spent.
type EmailConfirmPage struct{ Token string }

// EmailChangedPage confirms the new login email.
type EmailChangedPage struct {
	Email    string
	LoggedIn bool
}

func (h *Handler) showEmailChange(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	data := EmailChangePage{Current: me.Email, Errors: page.FieldErrors{}}
	return h.Render.Render(w, r, http.StatusOK, "signup/email_change", "Change your email address", data)
}

// submitEmailChange mails a link to the new address. An address that
// belongs to another account gets the same answer and no mail: the form
// must not tell who has an account.
func (h *Handler) submitEmailChange(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	form := emailChangeForm{Email: people.NormalizeEmail(r.PostFormValue("email")), Password: r.PostFormValue("password")}
	data := EmailChangePage{Current: me.Email, NewEmail: form.Email}
	data.Errors = h.forms.Check(form, emailChangeMessages)
	if _, bad := data.Errors["email"]; !bad {
		switch {
		case unmailable(form.Email):
			data.Errors["email"] = emailMessages["email.email"]
		case form.Email == me.Email:
			data.Errors["email"] = "This is already your login email. Enter the new address."
		}
	}
	if data.Errors.Any() {
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "signup/email_change", "Change your email address", data)
	}
	if within, err := h.Limiter.Hit(ctx, emailChangePerson, me.ID); err != nil || !within {
		return errors.Join(err, page.TooMany("Too many attempts to change your email address. "+waitAnHour))
	}
	right, err := password.Check(ctx, form.Password, me.PasswordHash)
	if err != nil {
		return err
	}
	if !right {
		data.Errors["password"] = "That is not your current password."
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "signup/email_change", "Change your email address", data)
	}
	err = h.Admission.RequestEmailChange(ctx, me.ID, form.Email)
	if err != nil && !errors.Is(err, people.ErrEmailTaken) {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/email_change_sent", "Check your new inbox", EmailChangeSentPage{NewEmail: form.Email})
}

// showEmailConfirm needs no login: the link proves the new address, the
// password proved the account when the change was asked for.
func (h *Handler) showEmailConfirm(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if !h.Admission.TokenUsable(r.Context(), token, admission.PurposeEmailChange) {
		return h.linkGone(w, r, linkEmailChange)
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/email_confirm", "Confirm your new email address", EmailConfirmPage{Token: token})
}

func (h *Handler) submitEmailConfirm(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	p, err := h.Admission.ConfirmEmailChange(ctx, r.PostFormValue("token"), page.Actor(r))
	switch {
	case errors.Is(err, admission.ErrTokenInvalid):
		return h.linkGone(w, r, linkEmailChange)
	case errors.Is(err, people.ErrEmailTaken):
		return &page.Error{Status: http.StatusConflict, Err: err,
			Message: "Another account started using this address after you asked for the change, so your login email stays as it was."}
	case err != nil:
		return err
	}
	h.Log.InfoContext(ctx, "email changed", "person", p.ID, "request_id", page.RequestID(ctx))
	me := page.Me(ctx)
	data := EmailChangedPage{Email: p.Email, LoggedIn: me != nil && me.ID == p.ID}
	return h.Render.Render(w, r, http.StatusOK, "signup/email_changed", "Email address changed", data)
}
