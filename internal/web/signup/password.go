package signup

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// ForgotPage asks where to send a password reset link.
type ForgotPage struct {
	AuthRequestID string
	ClientName    string
	Email         string
	Errors        page.FieldErrors
}

type forgotForm struct {
	Email string `form:"email" validate:"required,email,max=254"`
}

// ResetSentPage answers every reset request alike, whether or not the
// address has an account.
type ResetSentPage struct{ Email string }

// ResetPage is the form for the new password, reached from the mailed link.
type ResetPage struct {
	Token  string
	Errors page.FieldErrors
}

// ResetDonePage confirms the new password and sends the person to log in.
type ResetDonePage struct{ LoginLink string }

func (h *Handler) showForgot(w http.ResponseWriter, r *http.Request) error {
	data := ForgotPage{Errors: page.FieldErrors{}}
	var err error
	if data.AuthRequestID, data.ClientName, err = h.flowID(r.Context(), r.URL.Query().Get("id")); err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/forgot", "Forgotten password", data)
}

func (h *Handler) submitForgot(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	data := ForgotPage{Email: people.NormalizeEmail(r.PostFormValue("email"))}
	var err error
	if data.AuthRequestID, data.ClientName, err = h.flowID(ctx, r.PostFormValue("id")); err != nil {
		return err
	}
	data.Errors = h.forms.Check(forgotForm{Email: data.Email}, emailMessages)
	if data.Errors.Any() {
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "signup/forgot", "Forgotten password", data)
	}
	send, err := h.mayMail(ctx, limitCheck{resetPerIP, page.ClientIP(ctx)}, limitCheck{resetPerEmail, data.Email}, tooManyResets)
	if err != nil {
		return err
	}
	if send {
		if err := h.Admission.RequestPasswordReset(ctx, data.Email); err != nil {
			return err
		}
	}
	if err := h.Sessions.SetFlow(w, r, data.AuthRequestID); err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/reset_sent", "Check your email", ResetSentPage{Email: data.Email})
}

func tooManyResets(over bool) error {
	if !over {
		return nil
	}
	return page.TooMany("Too many password reset requests from your network. " + waitAnHour)
}

func (h *Handler) showReset(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if !h.Admission.TokenUsable(r.Context(), token, admission.PurposeReset) {
		return h.linkGone(w, r, linkReset)
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/reset", "Choose a new password", ResetPage{Token: token, Errors: page.FieldErrors{}})
}

// submitReset sets the new password; admission ends every session of the
// person, this browser's included, so they log in afresh with it.
func (h *Handler) submitReset(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	data := ResetPage{Token: r.PostFormValue("token"), Errors: page.FieldErrors{}}
	if !h.Admission.TokenUsable(ctx, data.Token, admission.PurposeReset) {
		return h.linkGone(w, r, linkReset)
	}
	pw := r.PostFormValue("password")
	if msg := password.Problem(pw); msg != "" {
		data.Errors["password"] = msg
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "signup/reset", "Choose a new password", data)
	}
	flow, _, err := h.flowID(ctx, h.Sessions.Flow(r))
	if err != nil {
		return err
	}
	hash, err := password.Hash(ctx, pw)
	if err != nil {
		return err
	}
	p, err := h.Admission.ResetPassword(ctx, data.Token, hash, page.Actor(r))
	if errors.Is(err, admission.ErrTokenInvalid) {
		return h.linkGone(w, r, linkReset)
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx, "password reset", "person", p.ID, "request_id", page.RequestID(ctx))
	// Whoever completed the reset is the owner, and this browser is theirs:
	// a known device, which guesses at the password from elsewhere cannot
	// lock out once the reset has lifted the lock (internal/lockout).
	http.SetCookie(w, h.Devices.Cookie(p.ID))
	if me := page.Me(ctx); me != nil && me.ID == p.ID {
		// Admission ended the session already; drop the cookie and the
		// header's name too.
		if err := h.Sessions.LogOut(w, r); err != nil {
			return err
		}
		r = r.WithContext(session.NewContext(ctx, session.Login{}))
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/reset_done", "Password changed", ResetDonePage{LoginLink: loginLink(flow)})
}
