// Package factors is a person's own second-factor pages, under /account:
// their passkeys (added with JavaScript, which WebAuthn needs; named;
// removed), the authenticator app (set up from a QR code or the secret
// typed in, with no JavaScript; removed) and recovery codes (shown once;
// made anew). Every change goes through internal/secondfactor, which
// audits it and mails the person. Once a person has a second factor, only
// a session that used one may change them.
package factors

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the second-factor pages.
type Handler struct {
	Render   *page.Renderer
	Sessions *session.Manager
	Factors  *secondfactor.Service
	Log      *slog.Logger
	Now      func() time.Time
}

// Mount adds the area's routes, each for the logged-in person.
func (h *Handler) Mount(mux *http.ServeMux) {
	for pattern, fn := range map[string]func(http.ResponseWriter, *http.Request, *people.Person) error{
		"GET /account/second-factor":         h.show,
		"POST /account/passkeys/options":     h.passkeyOptions,
		"POST /account/passkeys":             h.addPasskey,
		"POST /account/passkeys/{id}/remove": h.removePasskey,
		"GET /account/totp":                  h.showTOTP,
		"POST /account/totp":                 h.confirmTOTP,
		"POST /account/totp/remove":          h.removeTOTP,
		"POST /account/recovery-codes":       h.newRecoveryCodes,
	} {
		mux.Handle(pattern, h.Render.Handle(page.LoggedIn(fn)))
	}
}

// mayChange refuses a change to the factors of someone who has one, from
// a session that did not use one: someone who got hold of an old session
// must not add a passkey of their own, or take the owner's away. They are
// sent to give their second factor, and back.
func (h *Handler) mayChange(w http.ResponseWriter, r *http.Request, me *people.Person) (bool, error) {
	if session.FromContext(r.Context()).MultiFactor() {
		return true, nil
	}
	f, err := h.Factors.Of(r.Context(), me.ID)
	if err != nil || !f.Any() {
		return err == nil, err
	}
	return false, page.Redirect(w, r, "/login/second-factor?next=/account/second-factor")
}

// proved upgrades the session after a factor was added with proof of it
// (a first code, a passkey unlocked): it now counts as a login with both.
func (h *Handler) proved(w http.ResponseWriter, r *http.Request, me *people.Person, method string) error {
	l := session.FromContext(r.Context())
	amr := l.Methods
	for _, m := range []string{method, session.MultiFactor} {
		if !contains(amr, m) {
			amr = append(amr, m)
		}
	}
	return h.Sessions.LogInWith(w, r, me, h.Now(), amr)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// next is where to go once a factor is set up: on with the login that
// sent the person here, or back to their factors.
func (h *Handler) next(r *http.Request) string {
	if h.Sessions.Flow(r) != "" {
		return "/continue"
	}
	return "/account/second-factor"
}

// RecoveryCodesPage shows recovery codes, once.
type RecoveryCodesPage struct {
	Codes []string
	First bool   // they came with a first factor
	Next  string // where "I have kept them" leads
}

func (h *Handler) showCodes(w http.ResponseWriter, r *http.Request, codes []string, first bool) error {
	return h.Render.Render(w, r, http.StatusOK, "account/recovery_codes", "Your recovery codes",
		RecoveryCodesPage{Codes: codes, First: first, Next: h.next(r)})
}

func (h *Handler) newRecoveryCodes(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	codes, err := h.Factors.RegenerateRecoveryCodes(r.Context(), me, page.Actor(r))
	if errors.Is(err, secondfactor.ErrNotEnrolled) {
		return page.Redirect(w, r, "/account/second-factor")
	}
	if err != nil {
		return err
	}
	return h.showCodes(w, r, codes, false)
}
