package login

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// A passkey ceremony takes two requests from /static/passkey.js: one for
// the options (a fresh challenge, kept under a handle of this browser's
// session), then the authenticator's answer, posted by an ordinary form so
// that the login goes on as a password login does.

const passkeyRefused = "That passkey did not log you in. Try it again, or log in with your email and password."

// errUnconfirmed refuses a passkey of a sign-up still to be confirmed, as
// checkPassword refuses its password.
var errUnconfirmed = errors.New("the person has not confirmed their email address")

// passkeyLoginOptions begins a login with a passkey in place of a password.
func (h *Handler) passkeyLoginOptions(w http.ResponseWriter, r *http.Request) error {
	handle, err := h.Sessions.BeginCeremony(w, r)
	if err != nil {
		return err
	}
	options, err := h.Factors.BeginPasskeyLogin(r.Context(), handle, nil)
	if errors.Is(err, secondfactor.ErrPasskeysOff) {
		return page.NotFound()
	}
	if err != nil {
		return err
	}
	return page.JSON(w, options)
}

// submitPasskeyLogin logs in with a passkey: two factors at once, since the
// passkey was unlocked on the device (user verification). Whoever did that
// is the owner: the lock on their email lifts.
func (h *Handler) submitPasskeyLogin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	data := LoginPage{AuthRequestID: r.PostFormValue("id"), Passkeys: h.Factors.PasskeysOn()}
	ar, err := h.authRequest(ctx, data.AuthRequestID)
	if err != nil {
		return err
	}
	data.ClientName = h.clientName(ar)
	p, key, err := h.Factors.FinishPasskeyLogin(ctx, h.Sessions.Ceremony(r), nil, []byte(r.PostFormValue("credential")))
	if err == nil && p.Status == people.SignedUp {
		err = errUnconfirmed
	}
	if err != nil && passkeyFault(err) {
		h.count("failure")
		h.Log.InfoContext(ctx, "passkey login refused", "why", err.Error(), "request_id", page.RequestID(ctx))
		data.Error = passkeyRefused
		return h.Render.Render(w, r, http.StatusUnauthorized, "login/login", "Log in", data)
	}
	if err != nil {
		return err
	}
	if err := lockout.Clear(ctx, h.Pool, p.Email, page.ClientIP(ctx)); err != nil {
		return err
	}
	now, amr := h.Now(), []string{key.Method(), session.MultiFactor}
	if err := h.Sessions.LogInWith(w, r, p, now, amr); err != nil {
		return err
	}
	http.SetCookie(w, h.Devices.Cookie(p.ID))
	h.count("success")
	h.Log.InfoContext(ctx, "login", "person", p.ID, "amr", amr, "request_id", page.RequestID(ctx))
	return h.finish(w, r, session.Login{Person: p, AuthTime: now, Methods: amr}, ar)
}

// passkeyFault reports whether err refuses the passkey (rather than being
// a failure to check it, such as an outage).
func passkeyFault(err error) bool {
	return errors.Is(err, secondfactor.ErrPasskeyFailed) || errors.Is(err, secondfactor.ErrNoCeremony) ||
		errors.Is(err, secondfactor.ErrPasskeysOff) || errors.Is(err, errUnconfirmed)
}

// secondFactorPasskeyOptions begins the passkey ceremony of a login's
// second factor: only the person's own passkeys may answer.
func (h *Handler) secondFactorPasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	l, ok, err := h.secondFactorLogin(r)
	if err != nil {
		return err
	}
	if !ok {
		return page.Forbidden()
	}
	handle, err := h.Sessions.BeginCeremony(w, r)
	if err != nil {
		return err
	}
	options, err := h.Factors.BeginPasskeyLogin(r.Context(), handle, l.Person)
	switch {
	case errors.Is(err, secondfactor.ErrPasskeysOff), errors.Is(err, secondfactor.ErrNotEnrolled):
		return page.NotFound()
	case err != nil:
		return err
	}
	return page.JSON(w, options)
}

// submitSecondFactorPasskey checks the passkey given as a second factor.
func (h *Handler) submitSecondFactorPasskey(w http.ResponseWriter, r *http.Request) error {
	l, ok, err := h.secondFactorLogin(r)
	if err != nil || !ok {
		return h.logInAgain(w, r, err)
	}
	ctx := r.Context()
	_, key, err := h.Factors.FinishPasskeyLogin(ctx, h.Sessions.Ceremony(r), l.Person, []byte(r.PostFormValue("credential")))
	if err == nil {
		return h.secondFactorGiven(w, r, l, key.Method())
	}
	if !passkeyFault(err) {
		return err
	}
	data, derr := h.secondFactorPage(ctx, r, l.Person)
	if derr != nil {
		return derr
	}
	h.refused(ctx, l.Person, "passkey", err)
	data.Error = "That passkey was not accepted. Try it again, or use another way below."
	return h.renderSecondFactor(w, r, http.StatusUnauthorized, data)
}
