package signup

import (
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// VerifyPage asks for a click before the link is spent: mail scanners fetch
// every link in a message, and a GET must not use it up. Away from the
// browser that made the sign-up, it also asks for the password the person
// will log in with (see admission.Proof), and shows whose sign-up it is.
type VerifyPage struct {
	Token         string
	NeedsPassword bool
	Name          string
	Username      string
	Errors        page.FieldErrors
}

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
	link, err := h.Admission.CheckVerifyLink(r.Context(), token, h.Sessions.SignedUpAs(r))
	if err != nil {
		return err
	}
	if !link.Usable {
		return h.linkGone(w, r, linkVerify)
	}
	return h.renderVerify(w, r, http.StatusOK, verifyPage(token, link))
}

func verifyPage(token string, link admission.VerifyLink) VerifyPage {
	return VerifyPage{Token: token, NeedsPassword: link.NeedsPassword, Name: link.Name, Username: link.Username, Errors: page.FieldErrors{}}
}

func (h *Handler) renderVerify(w http.ResponseWriter, r *http.Request, status int, data VerifyPage) error {
	return h.Render.Render(w, r, status, "signup/verify", "Confirm your email address", data)
}

// submitVerify spends the link and logs the person in, in the browser that
// signed up or, elsewhere, with the password they chose on the page; they
// go on as if they had just logged in: to the relying party's login they
// began, or to their status page while the secretary decides. A browser
// where someone else is logged in is told what comes next instead.
func (h *Handler) submitVerify(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	token := r.PostFormValue("token")
	proof := admission.Proof{SignedUpAs: h.Sessions.SignedUpAs(r)}
	link, err := h.Admission.CheckVerifyLink(ctx, token, proof.SignedUpAs)
	if err != nil {
		return err
	}
	if !link.Usable {
		return h.linkGone(w, r, linkVerify)
	}
	data := verifyPage(token, link)
	if link.NeedsPassword {
		if proof.PasswordHash, err = h.chosenPassword(r, link, data.Errors); err != nil {
			return err
		}
		if data.Errors.Any() {
			return h.renderVerify(w, r, http.StatusUnprocessableEntity, data)
		}
	}
	v, err := h.Admission.VerifyEmail(ctx, token, proof, page.Actor(r))
	switch {
	case errors.Is(err, admission.ErrTokenInvalid):
		return h.linkGone(w, r, linkVerify)
	case errors.Is(err, admission.ErrPasswordNeeded): // the session changed since the check
		data.NeedsPassword = true
		data.Errors["password"] = "Choose the password you will log in with."
		return h.renderVerify(w, r, http.StatusUnprocessableEntity, data)
	case err != nil:
		return err
	}
	return h.verified(w, r, v)
}

// chosenPassword checks and hashes the password typed on a verification
// page, or notes in errs what is wrong with it.
func (h *Handler) chosenPassword(r *http.Request, link admission.VerifyLink, errs page.FieldErrors) (string, error) {
	pw := r.PostFormValue("password")
	if msg := password.Problem(pw, link.Email, link.Username); msg != "" {
		errs["password"] = msg
		return "", nil
	}
	return password.Hash(r.Context(), pw)
}

func (h *Handler) verified(w http.ResponseWriter, r *http.Request, v admission.Verification) error {
	ctx := r.Context()
	p := v.Person
	h.Log.InfoContext(ctx, "email verified", "person", p.ID, "status", p.Status, "request_id", page.RequestID(ctx))
	me := page.Me(ctx)
	if me == nil && v.Confirmed {
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
	data := VerifiedPage{Admitted: p.Status == people.Admitted, LoginLink: loginLink(h.Sessions.Flow(r))}
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
	send, err := h.mayMail(ctx, limitCheck{resendPerIP, page.ClientIP(ctx)}, limitCheck{resendPerEmail, email}, tooManyResends)
	if err != nil {
		return err
	}
	if send {
		if err := h.Admission.RequestVerificationLink(ctx, email); err != nil {
			return err
		}
	}
	data := CheckEmailPage{Email: email, Resent: true, HasFlow: h.Sessions.Flow(r) != ""}
	return h.Render.Render(w, r, http.StatusOK, "signup/check_email", "Check your email", data)
}

func tooManyResends(over bool) error {
	if !over {
		return nil
	}
	return page.TooMany("Too many requests for links from your network in the last hour. Check your spam folder, or wait an hour and ask again.")
}
