package signup

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// VerifyPage asks for a click before the link is spent: mail scanners fetch
// every link in a message, and a GET must not use it up.
type VerifyPage struct{ Token string }

// VerifiedPage tells someone who confirmed their address in a browser where
// they are not logged in what comes next.
type VerifiedPage struct {
	Admitted  bool
	LoginLink string // continues the relying party's login, if this browser began one
}

// Kinds of mailed link, for LinkGonePage.
const (
	linkVerify      = "verify"
	linkReset       = "reset"
	linkEmailChange = "email"
)

// LinkGonePage explains an expired or used link and offers the way on.
type LinkGonePage struct {
	Kind     string
	LoggedIn bool
	// For a confirmation link: the form asking for a new one.
	Email  string
	Errors page.FieldErrors
}

func (h *Handler) linkGone(w http.ResponseWriter, r *http.Request, kind string) error {
	data := LinkGonePage{Kind: kind, LoggedIn: page.Me(r.Context()) != nil, Errors: page.FieldErrors{}}
	return h.Render.Render(w, r, http.StatusGone, "signup/link_gone", "This link no longer works", data)
}

func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if !h.Admission.TokenUsable(r.Context(), token, admission.PurposeVerify) {
		return h.linkGone(w, r, linkVerify)
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/verify", "Confirm your email address", VerifyPage{Token: token})
}

// submitVerify spends the link. In the browser that signed up, the person
// is logged in and goes on as if they had just logged in: to the relying
// party's login they began, or to their status page while the secretary
// decides. Anywhere else the page says what comes next.
func (h *Handler) submitVerify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	flow, signedUpAs := h.Sessions.Flow(r), h.Sessions.SignedUpAs(r)
	p, _, err := h.Admission.VerifyEmail(ctx, r.PostFormValue("token"), page.Actor(r))
	if errors.Is(err, admission.ErrTokenInvalid) {
		return h.linkGone(w, r, linkVerify)
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx, "email verified", "person", p.ID, "status", p.Status, "request_id", page.RequestID(ctx))
	me := page.Me(ctx)
	if me == nil && signedUpAs == p.ID {
		if err := h.Sessions.LogIn(w, r, p, h.Now()); err != nil {
			return err
		}
		me = p
	}
	if me != nil && me.ID == p.ID {
		if p.Status == people.Admitted {
			return page.Redirect(w, r, "/continue")
		}
		return page.Redirect(w, r, "/status")
	}
	data := VerifiedPage{Admitted: p.Status == people.Admitted, LoginLink: loginLink(flow)}
	return h.Render.Render(w, r, http.StatusOK, "signup/verified", "Email address confirmed", data)
}

// resendVerification asks for a new confirmation link for an address (from
// the check-email page, or typed on the page of a spent link). Like the
// reset form it answers alike for every address, after the same work: the
// queued request mails a link only to a sign-up still to be confirmed.
func (h *Handler) resendVerification(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	email := people.NormalizeEmail(r.PostFormValue("email"))
	if errs := h.forms.Check(forgotForm{Email: email}, emailMessages); errs.Any() {
		data := LinkGonePage{Kind: linkVerify, LoggedIn: page.Me(ctx) != nil, Email: email, Errors: errs}
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "signup/link_gone", "Ask for a new link", data)
	}
	limits := []limitCheck{{resendPerIP, page.ClientIP(ctx)}, {resendPerEmail, email}}
	if over, err := h.overLimit(ctx, limits...); err != nil || over {
		return errors.Join(err, tooManyResends(over))
	}
	if err := h.count(ctx, limits...); err != nil {
		return err
	}
	if err := h.Admission.RequestVerificationLink(ctx, email); err != nil {
		return err
	}
	data := CheckEmailPage{Email: email, Resent: true, HasFlow: h.Sessions.Flow(r) != ""}
	return h.Render.Render(w, r, http.StatusOK, "signup/check_email", "Check your email", data)
}

func tooManyResends(over bool) error {
	if !over {
		return nil
	}
	return page.TooMany("We have sent several links to this address or from your network in the last hour. Check your spam folder, or wait an hour and ask again.")
}
