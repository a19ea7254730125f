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
	SignedUp bool // logged in and still to verify: the page offers a new link
}

func (h *Handler) linkGone(w http.ResponseWriter, r *http.Request, kind string) error {
	data := LinkGonePage{Kind: kind}
	if me := page.Me(r.Context()); me != nil {
		data.LoggedIn, data.SignedUp = true, me.Status == people.SignedUp
	}
	return h.Render.Render(w, r, http.StatusGone, "signup/link_gone", "This link no longer works", data)
}

func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if !h.Admission.TokenUsable(r.Context(), token, admission.PurposeVerify) {
		return h.linkGone(w, r, linkVerify)
	}
	return h.Render.Render(w, r, http.StatusOK, "signup/verify", "Confirm your email address", VerifyPage{Token: token})
}

// submitVerify spends the link. In the browser the person signed up in, they
// go on as if they had just logged in: to the relying party's login they
// began, or to their status page while the secretary decides.
func (h *Handler) submitVerify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	flow := h.Sessions.Flow(r)
	p, _, err := h.Admission.VerifyEmail(ctx, r.PostFormValue("token"), page.Actor(r))
	if errors.Is(err, admission.ErrTokenInvalid) {
		return h.linkGone(w, r, linkVerify)
	}
	if err != nil {
		return err
	}
	h.Log.InfoContext(ctx, "email verified", "person", p.ID, "status", p.Status, "request_id", page.RequestID(ctx))
	if me := page.Me(ctx); me != nil && me.ID == p.ID {
		if p.Status == people.Admitted {
			return page.Redirect(w, r, "/continue")
		}
		return page.Redirect(w, r, "/status")
	}
	data := VerifiedPage{Admitted: p.Status == people.Admitted, LoginLink: loginLink(flow)}
	return h.Render.Render(w, r, http.StatusOK, "signup/verified", "Email address confirmed", data)
}

// resendVerification mails a fresh link to a logged-in person who has not
// verified yet (the status page's button).
func (h *Handler) resendVerification(w http.ResponseWriter, r *http.Request) error {
	me, ok := h.me(w, r)
	if !ok {
		return nil
	}
	ctx := r.Context()
	if me.Status != people.SignedUp {
		return page.Redirect(w, r, "/status")
	}
	within, err := h.Limiter.Hit(ctx, resendPerPerson, me.ID)
	if err != nil {
		return err
	}
	if !within {
		return page.TooMany("We have sent you several links in the last hour. Check your spam folder, or wait an hour and ask again.")
	}
	err = h.Admission.ResendVerification(ctx, me.ID)
	if errors.Is(err, admission.ErrWrongStatus) {
		return page.Redirect(w, r, "/status")
	}
	if err != nil {
		return err
	}
	data := CheckEmailPage{Email: me.Email, Resent: true, HasFlow: h.Sessions.Flow(r) != ""}
	return h.Render.Render(w, r, http.StatusOK, "signup/check_email", "Check your email", data)
}
