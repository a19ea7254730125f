package login

import (
	"context"
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// SecondFactorPage asks for the second factor of a login: a code from the
// authenticator app, a passkey (with JavaScript), or a recovery code.
type SecondFactorPage struct {
	AuthRequestID string
	Next          string // a page of the site to go back to after (a step-up)
	TOTP          bool
	Passkey       bool
	Recovery      bool // recovery codes are left
	CodeError     string
	RecoveryError string
	Error         string
}

func (h *Handler) mountSecondFactor(mux *http.ServeMux) {
	mux.Handle("GET /login/second-factor", h.Render.Handle(h.showSecondFactor))
	mux.Handle("POST /login/second-factor", h.Render.Handle(h.submitSecondFactorCode))
	mux.Handle("POST /login/second-factor/recovery", h.Render.Handle(h.submitRecoveryCode))
	mux.Handle("POST /login/second-factor/passkey/options", h.Render.Handle(h.secondFactorPasskeyOptions))
	mux.Handle("POST /login/second-factor/passkey", h.Render.Handle(h.submitSecondFactorPasskey))
	mux.Handle("GET /login/second-factor/setup", h.Render.Handle(page.LoggedIn(h.showSetup)))
	mux.Handle("POST /login/second-factor/skip", h.Render.Handle(page.LoggedIn(h.skipSetup)))
	mux.Handle("POST /login/passkey/options", h.Render.Handle(h.passkeyLoginOptions))
	mux.Handle("POST /login/passkey", h.Render.Handle(h.submitPasskeyLogin))
}

// secondFactorLogin is the login that is to give its second factor: the
// one that gave its password in this browser within awaitFor, or else the
// logged-in person's own session (a step-up). ok is false for neither.
func (h *Handler) secondFactorLogin(r *http.Request) (l session.Login, ok bool, err error) {
	ctx := r.Context()
	if a, waiting := h.Sessions.AwaitingSecondFactor(r); waiting && h.Now().Sub(a.At) < awaitFor {
		p, err := people.ByID(ctx, h.Pool, a.PersonID)
		if errors.Is(err, people.ErrNotFound) || (err == nil && !a.Still(p)) {
			return l, false, nil // gone, or their password was reset since
		}
		return session.Login{Person: p, AuthTime: a.At, Methods: a.Methods}, err == nil, err
	}
	l = session.FromContext(ctx)
	return l, l.Person != nil, nil
}

// secondFactorPage is the page for l's person, with what they can use.
func (h *Handler) secondFactorPage(ctx context.Context, r *http.Request, p *people.Person) (SecondFactorPage, error) {
	f, err := h.Factors.Of(ctx, p.ID)
	data := SecondFactorPage{AuthRequestID: r.FormValue("id"), Next: page.LocalPath(r.FormValue("next")),
		TOTP: f.TOTP, Passkey: len(f.Passkeys) > 0 && h.Factors.PasskeysOn(), Recovery: f.RecoveryLeft > 0}
	return data, err
}

func (h *Handler) renderSecondFactor(w http.ResponseWriter, r *http.Request, status int, data SecondFactorPage) error {
	return h.Render.Render(w, r, status, "login/second_factor", "Your second factor", data)
}

// showSecondFactor asks for the second factor; someone without one is sent
// to set one up, and someone without a login in progress to log in.
func (h *Handler) showSecondFactor(w http.ResponseWriter, r *http.Request) error {
	l, ok, err := h.secondFactorLogin(r)
	if err != nil || !ok {
		return h.logInAgain(w, r, err)
	}
	if l.MultiFactor() {
		return h.afterSecondFactor(w, r, l)
	}
	data, err := h.secondFactorPage(r.Context(), r, l.Person)
	if err != nil {
		return err
	}
	if !data.TOTP && !data.Passkey && !data.Recovery {
		return page.Redirect(w, r, "/login/second-factor/setup")
	}
	return h.renderSecondFactor(w, r, http.StatusOK, data)
}

// The messages beside the fields.
const (
	wrongTOTP     = "That code is not right. Check that your phone's clock is right, then type the code your app shows now."
	usedTOTP      = "That code has been used already. Wait for your app to show the next one, and type that."
	wrongRecovery = "That recovery code is not right, or it has been used already. Each one works once."
	tooManyCodes  = "Too many wrong codes. Wait a quarter of an hour and try again."
)

// submitSecondFactorCode checks a code from the authenticator app.
func (h *Handler) submitSecondFactorCode(w http.ResponseWriter, r *http.Request) error {
	l, ok, err := h.secondFactorLogin(r)
	if err != nil || !ok {
		return h.logInAgain(w, r, err)
	}
	err = h.Factors.CheckTOTP(r.Context(), l.Person, r.PostFormValue("code"))
	if err == nil {
		return h.secondFactorGiven(w, r, l, "otp")
	}
	var message string
	switch {
	case errors.Is(err, secondfactor.ErrWrongCode), errors.Is(err, secondfactor.ErrNotEnrolled):
		message = wrongTOTP
	case errors.Is(err, secondfactor.ErrCodeUsed):
		message = usedTOTP
	}
	return h.refuseCode(w, r, l, "authenticator app", err, message, false)
}

// submitRecoveryCode spends a recovery code in place of the second factor.
// Whoever has one is the owner: the lock on their email lifts, as after a
// password reset.
func (h *Handler) submitRecoveryCode(w http.ResponseWriter, r *http.Request) error {
	l, ok, err := h.secondFactorLogin(r)
	if err != nil || !ok {
		return h.logInAgain(w, r, err)
	}
	ctx := r.Context()
	left, err := h.Factors.UseRecoveryCode(ctx, l.Person, r.PostFormValue("recovery_code"), page.Actor(r))
	if err == nil {
		h.Log.InfoContext(ctx, "recovery code used", "person", l.Person.ID, "left", left, "request_id", page.RequestID(ctx))
		if err := lockout.Clear(ctx, h.Pool, l.Person.Email, page.ClientIP(ctx)); err != nil {
			return err
		}
		return h.secondFactorGiven(w, r, l, "otp")
	}
	var message string
	if errors.Is(err, secondfactor.ErrWrongCode) {
		message = wrongRecovery
	}
	return h.refuseCode(w, r, l, "recovery code", err, message, true)
}

// refuseCode answers a code that was refused: message beside the code's
// field (the recovery code's when recovery), or the page-wide "too many"
// once the tries are used up. Any other error is coopgate's own failure.
// The page's facts are read only here, so a good code costs no query for
// them.
func (h *Handler) refuseCode(w http.ResponseWriter, r *http.Request, l session.Login, what string, err error, message string, recovery bool) error {
	tooMany := errors.Is(err, secondfactor.ErrTooManyTries)
	if message == "" && !tooMany {
		return err
	}
	ctx := r.Context()
	data, perr := h.secondFactorPage(ctx, r, l.Person)
	if perr != nil {
		return perr
	}
	status := http.StatusUnauthorized
	switch {
	case tooMany:
		data.Error, status = tooManyCodes, http.StatusTooManyRequests
	case recovery:
		data.RecoveryError = message
	default:
		data.CodeError = message
	}
	h.refused(ctx, l.Person, what, err)
	return h.renderSecondFactor(w, r, status, data)
}

func (h *Handler) refused(ctx context.Context, p *people.Person, what string, why error) {
	h.count("second_factor_failure")
	h.Log.InfoContext(ctx, "second factor refused", "person", p.ID, "factor", what, "why", why.Error(),
		"request_id", page.RequestID(ctx))
}

// secondFactorGiven logs l's person in with both factors (a new session
// id), and goes on with the login.
func (h *Handler) secondFactorGiven(w http.ResponseWriter, r *http.Request, l session.Login, method string) error {
	ctx := r.Context()
	now := h.Now()
	amr := withMethods(l.Methods, method, session.MultiFactor)
	if err := h.Sessions.LogInWith(w, r, l.Person, now, amr); err != nil {
		return err
	}
	http.SetCookie(w, h.Devices.Cookie(l.Person.ID))
	h.count("success")
	h.Log.InfoContext(ctx, "login", "person", l.Person.ID, "amr", amr, "request_id", page.RequestID(ctx))
	return h.afterSecondFactor(w, r, session.Login{Person: l.Person, AuthTime: now, Methods: amr})
}

// afterSecondFactor goes back to the page that asked for it, or on with
// the relying party's login (or to the account page).
func (h *Handler) afterSecondFactor(w http.ResponseWriter, r *http.Request, l session.Login) error {
	if next := page.LocalPath(r.FormValue("next")); next != "" {
		return page.Redirect(w, r, next)
	}
	ar, err := h.authRequest(r.Context(), r.FormValue("id"))
	if err != nil {
		return err
	}
	return h.finish(w, r, l, ar)
}

// logInAgain answers a second-factor page with no login in progress (it
// waited too long, or never began): the login form, for the same relying
// party's login. err, if any, is the failure to find out.
func (h *Handler) logInAgain(w http.ResponseWriter, r *http.Request, err error) error {
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/login"+idParam(r.FormValue("id")))
}
