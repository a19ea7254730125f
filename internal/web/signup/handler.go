// Package signup owns the pages that bring a person in and let them back in:
// sign-up, email verification, password reset, change of login email, and
// (in development only) the page that shows the mail coopgate sent.
//
// Every state change goes through internal/admission; this package only
// parses forms, throttles, and says what happened without revealing who has
// an account. It does not decide admission and does not issue codes to
// relying parties (internal/web/login's /continue does, after verification).
package signup

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the sign-up and recovery area.
type Handler struct {
	Pool      *pgxpool.Pool
	Render    *page.Renderer
	Sessions  *session.Manager
	Admission *admission.Service
	Provider  *oidc.Provider
	Limiter   *ratelimit.Limiter
	Devices   *lockout.Devices // a completed reset makes its browser a known device
	Log       *slog.Logger
	Now       func() time.Time
	Dev       bool // mounts /dev/mail; never set outside `coopgate dev`

	forms *page.Validator
}

// Throttles. Sign-ups count per network and per address (the per-address rule
// also caps "you already have an account" mail to an owner); requests for a
// reset or a new confirmation link likewise, but past an address's allowance
// they are answered alike and send nothing (see mayMail); email changes per
// person.
var (
	signUpPerIP       = ratelimit.Rule{Name: "signup-ip", Max: 10, Window: time.Hour}
	signUpPerEmail    = ratelimit.Rule{Name: "signup-email", Max: 3, Window: time.Hour}
	resetPerIP        = ratelimit.Rule{Name: "reset-ip", Max: 10, Window: time.Hour}
	resetPerEmail     = ratelimit.Rule{Name: "reset-email", Max: 3, Window: time.Hour}
	resendPerIP       = ratelimit.Rule{Name: "verify-resend-ip", Max: 10, Window: time.Hour}
	resendPerEmail    = ratelimit.Rule{Name: "verify-resend-email", Max: 3, Window: time.Hour}
	emailChangePerson = ratelimit.Rule{Name: "email-change", Max: 5, Window: time.Hour}
)

const waitAnHour = "Please wait an hour and try again."

// What the pages say while the database cannot be reached: nothing was
// done, and trying again soon will work.
const (
	cantShowSignUp = "We can't show the sign-up form right now. Please try again in a minute."
	cantSignUp     = "We can't take your sign-up right now. Nothing was saved; please try again in a minute."
	cantConfirm    = "We can't confirm your address right now. Your link still works: please try again in a minute."
	cantSendLink   = "We can't send you a link right now. Please try again in a minute."
	cantReset      = "We can't change your password right now. Your link still works: please try again in a minute."
)

// Mount adds the area's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.forms = newValidator()
	mux.Handle("GET /signup", h.Render.Handle(page.WhenDown(cantShowSignUp, h.showSignUp)))
	mux.Handle("POST /signup", h.Render.Handle(page.WhenDown(cantSignUp, h.submitSignUp)))
	mux.Handle("GET /verify", h.Render.Handle(page.WhenDown(cantConfirm, h.showVerify)))
	mux.Handle("POST /verify", h.Render.Handle(page.WhenDown(cantConfirm, h.submitVerify)))
	mux.Handle("POST /verify/resend", h.Render.Handle(page.WhenDown(cantSendLink, h.resendVerification)))
	mux.Handle("GET /password/forgot", h.Render.Handle(h.showForgot))
	mux.Handle("POST /password/forgot", h.Render.Handle(page.WhenDown(cantSendLink, h.submitForgot)))
	mux.Handle("GET /password/reset", h.Render.Handle(page.WhenDown(cantReset, h.showReset)))
	mux.Handle("POST /password/reset", h.Render.Handle(page.WhenDown(cantReset, h.submitReset)))
	mux.Handle("GET /account/email", h.Render.Handle(page.LoggedIn(h.showEmailChange)))
	mux.Handle("POST /account/email", h.Render.Handle(page.LoggedIn(h.submitEmailChange)))
	mux.Handle("GET /account/email/confirm", h.Render.Handle(h.showEmailConfirm))
	mux.Handle("POST /account/email/confirm", h.Render.Handle(h.submitEmailConfirm))
	if h.Dev {
		mux.Handle("GET /dev/mail", h.Render.Handle(h.showDevMail))
	}
}

// flowID is the relying-party login a page continues, if it still exists: an
// expired one is dropped, since signing up or resetting a password is worth
// finishing even when the service's login has timed out.
func (h *Handler) flowID(ctx context.Context, id string) (authRequestID, clientName string, err error) {
	if id == "" {
		return "", "", nil
	}
	ar, err := h.Provider.CoopStorage().AuthRequest(ctx, id)
	if errors.Is(err, oidc.ErrNotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if c, ok := h.Provider.CoopStorage().Client(ar.ClientID); ok {
		clientName = c.Name()
	}
	return ar.ID, clientName, nil
}

// overLimit reports whether any rule's allowance for its subject is used up,
// without counting: only what gets past the checks is counted (see count),
// so a mistyped form or a taken username costs no one their hour.
func (h *Handler) overLimit(ctx context.Context, checks ...limitCheck) (bool, error) {
	for _, c := range checks {
		over, err := h.Limiter.Exceeded(ctx, c.rule, c.subject)
		if err != nil || over {
			return over, err
		}
	}
	return false, nil
}

// mayMail checks a request for a mailed link (a reset, a new confirmation
// link) and counts it. Over the network's allowance it is refused with
// tooMany. Over the address's allowance it is answered as usual but sends
// nothing: anyone can use up an address's allowance, and a 429 would then
// keep its owner from getting back in, while the newest link already sent
// keeps working (nothing supersedes it) and the page says to use it.
func (h *Handler) mayMail(ctx context.Context, perIP, perEmail limitCheck, tooMany func(bool) error) (bool, error) {
	if over, err := h.overLimit(ctx, perIP); err != nil || over {
		return false, errors.Join(err, tooMany(over))
	}
	overEmail, err := h.overLimit(ctx, perEmail)
	if err != nil {
		return false, err
	}
	if overEmail {
		h.Log.InfoContext(ctx, "mail allowance of an address used up: answered, nothing sent", "rule", perEmail.rule.Name,
			"request_id", page.RequestID(ctx))
		return false, h.count(ctx, perIP)
	}
	return true, h.count(ctx, perIP, perEmail)
}

// count records one attempt under each rule.
func (h *Handler) count(ctx context.Context, checks ...limitCheck) error {
	var errs []error
	for _, c := range checks {
		_, err := h.Limiter.Hit(ctx, c.rule, c.subject)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

type limitCheck struct {
	rule    ratelimit.Rule
	subject string
}

// loginLink is the login form, continuing the relying party's login if any.
func loginLink(flow string) string {
	if flow == "" {
		return "/login"
	}
	return "/login?id=" + flow
}
