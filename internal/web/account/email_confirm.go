package account

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

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
