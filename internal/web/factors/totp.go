package factors

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/web/page"
)

// TOTPPage sets up an authenticator app: scan the QR code, or type the
// secret, then type the first code to confirm.
type TOTPPage struct {
	QR        template.URL // the QR code as a data: URL (CSP allows data: images), so no second request carries the secret
	Secret    string       // in groups of four, for typing
	CodeError string
}

func (h *Handler) totpPage(w http.ResponseWriter, r *http.Request, me *people.Person, status int, codeError string) error {
	e, err := h.Factors.StartTOTP(r.Context(), me)
	if errors.Is(err, secondfactor.ErrAlreadyEnrolled) {
		return page.Redirect(w, r, "/account/second-factor")
	}
	if err != nil {
		return err
	}
	data := TOTPPage{QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QR)),
		Secret: groups(e.Secret, 4), CodeError: codeError}
	return h.Render.Render(w, r, status, "account/totp", "Set up an authenticator app", data)
}

func groups(s string, n int) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%n == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (h *Handler) showTOTP(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	return h.totpPage(w, r, me, http.StatusOK, "")
}

// confirmTOTP takes the first code: the app is set up, and this session
// has now used it.
func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	ctx := r.Context()
	codes, err := h.Factors.ConfirmTOTP(ctx, me, r.PostFormValue("code"), page.Actor(r))
	switch {
	case errors.Is(err, secondfactor.ErrWrongCode):
		return h.totpPage(w, r, me, http.StatusUnprocessableEntity,
			"That code is not right. Check that your phone's clock is right, then type the code your app shows now.")
	case errors.Is(err, secondfactor.ErrTooManyTries):
		return h.totpPage(w, r, me, http.StatusTooManyRequests, "Too many wrong codes. Wait a quarter of an hour and try again.")
	case errors.Is(err, secondfactor.ErrNotEnrolled):
		return h.totpPage(w, r, me, http.StatusUnprocessableEntity,
			"This set-up took too long and has been replaced: scan the new QR code, then type the code your app shows.")
	case err != nil:
		return err
	}
	h.Log.InfoContext(ctx, "authenticator app set up", "person", me.ID, "request_id", page.RequestID(ctx))
	if err := h.proved(w, r, me, "otp"); err != nil {
		return err
	}
	if codes != nil {
		return h.showCodes(w, r, codes, true)
	}
	if next := h.next(r); next != "/account/second-factor" {
		return page.Redirect(w, r, next)
	}
	return done(w, r, "totp")
}

func (h *Handler) removeTOTP(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if ok, err := h.mayChange(w, r, me); !ok || err != nil {
		return err
	}
	err := h.Factors.RemoveTOTP(r.Context(), me, page.Actor(r))
	if err != nil && !errors.Is(err, secondfactor.ErrNotEnrolled) {
		return err
	}
	return done(w, r, "totp-removed")
}
