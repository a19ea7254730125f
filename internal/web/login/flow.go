package login

import (
	"errors"
	"net/http"
	"net/url"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// finish takes a logged-in person through the second-factor, admission and
// terms gates and, for a relying party's login, hands the auth request back
// to the provider to issue the code, with how the login was made.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, l session.Login, ar *oidc.AuthRequest) error {
	ctx := r.Context()
	p := l.Person
	if stopped, err := h.secondFactorGate(w, r, l, ar); stopped || err != nil {
		return err
	}
	if p.Status != people.Admitted {
		return h.stop(w, r, ar, zoidc.ErrInteractionRequired(), "/status")
	}
	pending, err := policy.Pending(ctx, h.Pool, p.ID)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return h.stop(w, r, ar, &zoidc.Error{ErrorType: "consent_required", Description: "the person has not accepted the current policies"}, "/terms")
	}
	if ar == nil {
		return page.Redirect(w, r, "/account")
	}
	err = h.Provider.CoopStorage().CompleteAuthRequest(ctx, ar.ID, p.ID, l.AuthTime, l.Methods)
	if errors.Is(err, oidc.ErrNotFound) {
		// Already answered (the back button, a second tab) or expired meanwhile.
		return page.Gone("This login has already finished or expired. Go back to the service you came from and log in again.")
	}
	if err != nil {
		return err
	}
	if err := h.Sessions.SetFlow(w, r, ""); err != nil {
		return err
	}
	http.Redirect(w, r, h.Provider.CallbackURL(ar.ID), http.StatusSeeOther)
	return nil
}

// stop sends the person to a page they must pass (status, terms), keeping the
// auth request to continue afterwards; with prompt=none it answers the
// relying party with oidcErr instead.
func (h *Handler) stop(w http.ResponseWriter, r *http.Request, ar *oidc.AuthRequest, oidcErr error, to string) error {
	if ar != nil && ar.PromptNone() {
		op.AuthRequestError(w, r, ar, oidcErr, h.Provider)
		return nil
	}
	if ar != nil {
		if err := h.Sessions.SetFlow(w, r, ar.ID); err != nil {
			return err
		}
	}
	return page.Redirect(w, r, to)
}

// continueFlow resumes the remembered relying-party login (after sign-up,
// verification, terms or approval). A login the relying party would not
// take (see servesLogin) goes to the login page, which asks for the
// password, or, with prompt=none, answers login_required.
func (h *Handler) continueFlow(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if id == "" {
		id = h.Sessions.Flow(r)
	}
	ar, err := h.authRequest(r.Context(), id)
	if err != nil {
		return err
	}
	login := session.FromContext(r.Context())
	if login.Person == nil || !h.servesLogin(ar, login) {
		return page.Redirect(w, r, "/login?id="+url.QueryEscape(id))
	}
	return h.finish(w, r, login, ar)
}
