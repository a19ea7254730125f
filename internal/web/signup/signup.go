package signup

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/password"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/web/page"
)

// SignUpPage is the sign-up form. Form never carries the password back.
type SignUpPage struct {
	AuthRequestID string
	ClientName    string // the service the person came from, if any
	Form          SignUpForm
	Policies      []PolicyBox
	Errors        page.FieldErrors
}

// PolicyBox is one required policy's checkbox; its value is ID@Version, so a
// policy updated while the form was open is asked again.
type PolicyBox struct {
	ID, Version, Title string
	SHA256             string // the text the person is shown, recorded on acceptance
	Checked            bool
}

// SignUpForm is what the sign-up form posts.
type SignUpForm struct {
	Name             string `form:"name" validate:"required,max=100"`
	Email            string `form:"email" validate:"required,email,max=254"`
	Username         string `form:"username" validate:"required,username,unreserved"`
	Password         string `form:"password" validate:"required"`
	MembershipNumber string `form:"membership_number" validate:"max=50"`
	Note             string `form:"note" validate:"max=500"`
	Honeypot         string `form:"website"` // only bots fill it
	AuthRequestID    string `form:"id"`
}

var signUpMessages = map[string]string{
	"name.required":         "Enter your name.",
	"username.required":     "Choose a username.",
	"username.username":     "Use 1 to 30 characters: lower-case letters a–z, digits and underscores only (no spaces, dots or dashes).",
	"username.unreserved":   "This username is reserved by one of the co-op's services (names like admin, help or support are); choose another.",
	"password.required":     "Choose a password.",
	"membership_number.max": "A membership number is at most 50 characters.",
	"note.max":              "Keep the note to 500 characters or fewer.",
}

// CheckEmailPage is the answer to every sign-up that passed the form's
// checks: new address, registered address or a bot. It must stay identical
// for all three, so it shows only what the person typed.
type CheckEmailPage struct {
	Email   string
	Resent  bool // the page after "send the link again"
	HasFlow bool
}

func readSignUp(r *http.Request) SignUpForm {
	return SignUpForm{
		Name:             field(r, "name"),
		Email:            people.NormalizeEmail(r.PostFormValue("email")),
		Username:         strings.ToLower(field(r, "username")),
		Password:         r.PostFormValue("password"),
		MembershipNumber: field(r, "membership_number"),
		Note:             strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n")),
		Honeypot:         r.PostFormValue("website"),
		AuthRequestID:    r.PostFormValue("id"),
	}
}

// signUpPage prepares the form for the relying-party login id continues.
func (h *Handler) signUpPage(ctx context.Context, id string) (SignUpPage, error) {
	var data SignUpPage
	var err error
	if data.AuthRequestID, data.ClientName, err = h.flowID(ctx, id); err != nil {
		return data, err
	}
	current, err := policy.Current(ctx, h.Pool)
	if err != nil {
		return data, err
	}
	for _, p := range current {
		if p.Required {
			data.Policies = append(data.Policies, PolicyBox{ID: p.ID, Version: p.Version, Title: p.Title, SHA256: p.SHA256})
		}
	}
	data.Errors = page.FieldErrors{}
	return data, nil
}

// showSignUp is the "Join" page. Someone already logged in has an account:
// the login page takes them on.
func (h *Handler) showSignUp(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if page.Me(r.Context()) != nil {
		return page.Redirect(w, r, loginLink(id))
	}
	data, err := h.signUpPage(r.Context(), id)
	if err != nil {
		return err
	}
	return h.renderSignUp(w, r, http.StatusOK, data)
}

func (h *Handler) renderSignUp(w http.ResponseWriter, r *http.Request, status int, data SignUpPage) error {
	data.Form.Password = "" // never sent back to the browser
	return h.Render.Render(w, r, status, "signup/signup", "Join", data)
}

// checkSignUp fills data.Errors and returns the policies accepted.
func (h *Handler) checkSignUp(r *http.Request, data *SignUpPage) []policy.PolicyRef {
	f := data.Form
	data.Errors = h.forms.Check(f, withEmailMessages(signUpMessages))
	if _, bad := data.Errors["email"]; !bad && unmailable(f.Email) {
		data.Errors["email"] = emailMessages["email.email"]
	}
	if _, bad := data.Errors["password"]; !bad {
		if msg := password.Problem(f.Password, f.Email, f.Username); msg != "" {
			data.Errors["password"] = msg
		}
	}
	ticked := map[string]bool{}
	for _, v := range r.PostForm["accept"] {
		ticked[v] = true
	}
	return tickedPolicies(data, ticked)
}

func tickedPolicies(data *SignUpPage, ticked map[string]bool) []policy.PolicyRef {
	var refs []policy.PolicyRef
	for i, b := range data.Policies {
		if !ticked[b.ID+"@"+b.Version] {
			data.Errors["accept-"+b.ID] = "Tick this box to accept " + b.Title + ": everyone who joins accepts it."
			continue
		}
		data.Policies[i].Checked = true
		refs = append(refs, policy.PolicyRef{ID: b.ID, Version: b.Version, SHA256: b.SHA256})
	}
	return refs
}

// submitSignUp creates the account. Past the form's checks, every outcome
// (new address, registered address, honeypot) answers with the same page.
func (h *Handler) submitSignUp(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := parseForm(r); err != nil {
		return err
	}
	form := readSignUp(r)
	if page.Me(ctx) != nil {
		return page.Redirect(w, r, loginLink(form.AuthRequestID))
	}
	data, err := h.signUpPage(ctx, form.AuthRequestID)
	if err != nil {
		return err
	}
	data.Form = form
	refs := h.checkSignUp(r, &data)
	if data.Errors.Any() {
		return h.renderSignUp(w, r, http.StatusUnprocessableEntity, data)
	}
	limits := []limitCheck{{signUpPerIP, page.ClientIP(ctx)}, {signUpPerEmail, form.Email}}
	if over, err := h.overLimit(ctx, limits...); err != nil || over {
		return errors.Join(err, tooManySignUps(over))
	}
	if form.Honeypot != "" {
		h.Log.InfoContext(ctx, "sign-up honeypot filled", "request_id", page.RequestID(ctx))
		if err := h.count(ctx, limits...); err != nil {
			return err
		}
		return h.checkEmail(w, r, data, "")
	}
	personID, err := h.signUp(ctx, r, form, refs)
	if errors.Is(err, people.ErrUsernameTaken) {
		data.Errors["username"] = "Someone already has this username. Please choose another."
		return h.renderSignUp(w, r, http.StatusUnprocessableEntity, data)
	}
	if err != nil {
		return err
	}
	if err := h.count(ctx, limits...); err != nil {
		return err
	}
	return h.checkEmail(w, r, data, personID)
}

func tooManySignUps(over bool) error {
	if !over {
		return nil
	}
	return page.TooMany("Too many sign-ups from your network or for this email address. " + waitAnHour)
}

// signUp hashes the password and hands everything to admission, which
// claims the username and queues the rest: the answer is the same work for
// a registered address as for a new one. It returns the id the person will
// have if the address is new.
func (h *Handler) signUp(ctx context.Context, r *http.Request, f SignUpForm, refs []policy.PolicyRef) (string, error) {
	hash, err := password.Hash(ctx, f.Password)
	if err != nil {
		return "", err
	}
	return h.Admission.RequestSignUp(ctx, admission.SignUp{
		Email: f.Email, Name: f.Name, Username: f.Username, PasswordHash: hash,
		MembershipNumber: f.MembershipNumber, Note: f.Note, Accepted: refs,
		IP: page.ClientIP(ctx), UserAgent: r.UserAgent(),
	}, page.Actor(r))
}

// checkEmail answers a sign-up. It logs no one in: the mailed link does,
// in this browser (see submitVerify). The session is saved once in every
// case, keeping the relying party's login to complete after verification,
// so the response headers are alike as well as the page.
func (h *Handler) checkEmail(w http.ResponseWriter, r *http.Request, data SignUpPage, personID string) error {
	if err := h.Sessions.BeginSignUp(w, r, data.AuthRequestID, personID); err != nil {
		return err
	}
	pg := CheckEmailPage{Email: data.Form.Email, HasFlow: data.AuthRequestID != ""}
	return h.Render.Render(w, r, http.StatusOK, "signup/check_email", "Check your email", pg)
}
