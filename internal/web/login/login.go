package login

import (
	"context"
	"errors"
	"net/http"
	"strings"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// LoginPage is the data of the login form.
type LoginPage struct {
	AuthRequestID string
	ClientName    string // the service being logged in to, if any
	Email         string
	Error         string
	Passkeys      bool // offer "Log in with a passkey" (the issuer is a domain name)
}

func (h *Handler) authRequest(ctx context.Context, id string) (*oidc.AuthRequest, error) {
	if id == "" {
		return nil, nil
	}
	ar, err := h.Provider.CoopStorage().AuthRequest(ctx, id)
	if errors.Is(err, oidc.ErrNotFound) {
		return nil, page.Gone("This login has expired. Go back to the service you came from and log in again.")
	}
	return ar, err
}

func (h *Handler) clientName(ar *oidc.AuthRequest) string {
	if ar == nil {
		return ""
	}
	if c, ok := h.Provider.CoopStorage().Client(ar.ClientID); ok {
		return c.Name()
	}
	return ""
}

// showLogin is where /authorize sends the browser. Someone already logged in
// goes straight on (single sign-on) unless the relying party asked for a
// fresh login or for someone else (see servesLogin).
func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	ar, err := h.authRequest(r.Context(), id)
	if err != nil {
		return err
	}
	login := session.FromContext(r.Context())
	if login.Person != nil && h.servesLogin(ar, login) {
		return h.finish(w, r, login, ar)
	}
	if ar != nil && ar.PromptNone() {
		op.AuthRequestError(w, r, ar, zoidc.ErrLoginRequired(), h.Provider)
		return nil
	}
	data := LoginPage{AuthRequestID: id, ClientName: h.clientName(ar), Passkeys: h.Factors.PasskeysOn()}
	if ar != nil {
		data.Email = ar.LoginHint
	}
	return h.Render.Render(w, r, http.StatusOK, "login/login", "Log in", data)
}

// servesLogin reports whether the browser's login may answer ar (nil: no
// relying party waits) without the password being asked for: not when the
// relying party asked for a fresh login (prompt=login, max_age) or named
// someone else in its id_token_hint. The login page and /continue both ask
// it, so no path hands out a code the relying party did not agree to.
func (h *Handler) servesLogin(ar *oidc.AuthRequest, login session.Login) bool {
	return ar == nil || ar.AcceptsLogin(login.PersonID(), login.AuthTime, h.Now())
}

const (
	wrongCredentials = "That email and password don't match an account you can log in to. Check them, or reset your password. " +
		"If you have just joined, first confirm your address with the link we emailed you."
	cantCheck = "We can't check your password right now. Please try again in a minute."
	lockedOut = "Too many failed logins for this email address. Wait up to an hour and try again, " +
		"or reset your password: a completed reset lifts this at once."
)

// submitLogin checks the password. A database outage keeps the form with
// what was typed and says so (503); it is never read as a lockout or a
// wrong password.
func (h *Handler) submitLogin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	data := LoginPage{AuthRequestID: r.PostFormValue("id"), Email: strings.TrimSpace(r.PostFormValue("email")),
		Passkeys: h.Factors.PasskeysOn()}
	err := h.tryLogin(w, r, &data)
	if !database.Unavailable(err) {
		return err
	}
	h.count("unavailable")
	h.Log.WarnContext(ctx, "login: database unavailable", "err", err.Error(), "request_id", page.RequestID(ctx))
	data.Error = cantCheck
	w.Header().Set("Retry-After", page.RetryAfter)
	return h.Render.Render(w, r, http.StatusServiceUnavailable, "login/login", "Log in", data)
}

func (h *Handler) tryLogin(w http.ResponseWriter, r *http.Request, data *LoginPage) error {
	ctx := r.Context()
	ar, err := h.authRequest(ctx, data.AuthRequestID)
	if err != nil {
		return err
	}
	data.ClientName = h.clientName(ar)
	email := people.NormalizeEmail(data.Email)
	p, err := people.ByEmail(ctx, h.Pool, email)
	if err != nil && !errors.Is(err, people.ErrNotFound) {
		return err
	}
	attempt := lockout.Attempt{Email: email, IP: page.ClientIP(ctx), Device: h.Devices.Known(r, idOf(p))}
	if refused, err := h.refuse(w, r, data, attempt); refused || err != nil {
		return err
	}
	ok, err := checkPassword(ctx, p, r.PostFormValue("password"))
	if err != nil {
		return err
	}
	if !ok {
		return h.wrongPassword(w, r, data, attempt)
	}
	if err := h.Guard.Succeeded(ctx, attempt); err != nil {
		return err
	}
	now := h.Now()
	if asked, err := h.askSecondFactor(w, r, p, ar, now); asked || err != nil {
		return err
	}
	if err := h.Sessions.LogIn(w, r, p, now); err != nil {
		return err
	}
	http.SetCookie(w, h.Devices.Cookie(p.ID))
	h.count("success")
	h.Log.InfoContext(ctx, "login", "person", p.ID, "request_id", page.RequestID(ctx))
	return h.finish(w, r, session.Login{Person: p, AuthTime: now, Methods: []string{session.Password}}, ar)
}

// wrongPassword counts a failed attempt and shows the form again.
func (h *Handler) wrongPassword(w http.ResponseWriter, r *http.Request, data *LoginPage, a lockout.Attempt) error {
	ctx := r.Context()
	if err := h.Guard.Failed(ctx, a); err != nil {
		return err
	}
	h.count("failure")
	h.Log.InfoContext(ctx, "login failed", "known_device", a.Device != "", "request_id", page.RequestID(ctx))
	data.Error = wrongCredentials
	return h.Render.Render(w, r, http.StatusUnauthorized, "login/login", "Log in", *data)
}

// refuse answers an attempt the lockout rules stop, and reports whether it did.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, data *LoginPage, a lockout.Attempt) (bool, error) {
	v, err := h.Guard.Check(r.Context(), a)
	switch {
	case err != nil:
		return true, err
	case v == lockout.NetworkThrottled:
		h.count("throttled")
		return true, page.TooMany("Too many failed logins from your network. Wait 15 minutes and try again.")
	case v == lockout.Locked:
		h.count("locked")
		data.Error = lockedOut
		return true, h.Render.Render(w, r, http.StatusTooManyRequests, "login/login", "Log in", *data)
	}
	return false, nil
}

func idOf(p *people.Person) string {
	if p == nil {
		return ""
	}
	return p.ID
}

// checkPassword takes as long for an unknown email (p nil) as for a wrong
// password. A sign-up still to be confirmed cannot log in, and is answered
// as a wrong password is: whoever signed up knows its password, so a login
// that worked would tell them the address had no account before (the
// sign-up page is careful not to). The mailed link logs the person in.
func checkPassword(ctx context.Context, p *people.Person, pw string) (bool, error) {
	hash := ""
	if p != nil {
		hash = p.PasswordHash
	}
	ok, err := password.Check(ctx, pw, hash)
	if err != nil || !ok || p == nil || p.Status == people.SignedUp {
		return false, err
	}
	return true, nil
}
