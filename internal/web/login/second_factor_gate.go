package login

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/oidc"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// awaitFor is how long a login may take between its password and its
// second factor.
const awaitFor = 10 * time.Minute

// errUnmet answers a relying party that asked for a second factor
// (acr_values mfa) for a person who has none: OpenID Connect Core Error
// Code unmet_authentication_requirements 1.0.
var errUnmet = &zoidc.Error{ErrorType: "unmet_authentication_requirements",
	Description: "a second factor was asked for (acr_values mfa) and the person has none set up"}

// askSecondFactor sends someone with a second factor on to give it once
// their password is right; they are not logged in until they do. It
// reports whether it did.
func (h *Handler) askSecondFactor(w http.ResponseWriter, r *http.Request, p *people.Person, ar *oidc.AuthRequest, at time.Time) (bool, error) {
	f, err := h.Factors.Of(r.Context(), p.ID)
	if err != nil || !f.Any() {
		return false, err
	}
	if err := h.Sessions.AwaitSecondFactor(w, r, p, at, []string{session.Password}); err != nil {
		return true, err
	}
	h.count("second_factor")
	return true, page.Redirect(w, r, "/login/second-factor"+idQuery(ar))
}

// secondFactorGate stops a login that has not given a second factor when
// it must: the person has one (set up since this session began), the
// relying party asked for one, or their role requires one and their one
// login's grace is not this session's. It reports whether it stopped.
func (h *Handler) secondFactorGate(w http.ResponseWriter, r *http.Request, l session.Login, ar *oidc.AuthRequest) (bool, error) {
	if l.MultiFactor() {
		return false, nil
	}
	ctx := r.Context()
	f, err := h.Factors.Of(ctx, l.Person.ID)
	switch {
	case err != nil:
		return true, err
	case f.Any():
		return true, h.stop(w, r, ar, zoidc.ErrInteractionRequired().WithDescription("the person must give their second factor"),
			"/login/second-factor"+idQuery(ar))
	case ar != nil && ar.WantsSecondFactor():
		op.AuthRequestError(w, r, ar, errUnmet, h.Provider)
		return true, nil
	case !h.Factors.Required(l.Person):
		return false, nil
	}
	grace, err := h.Factors.GraceOf(ctx, l.Person.ID, l.ID)
	if err != nil || grace == secondfactor.GraceHere {
		return err != nil, err
	}
	return true, h.stop(w, r, ar, zoidc.ErrInteractionRequired().WithDescription("the person must set up a second factor"),
		"/login/second-factor/setup")
}

func idQuery(ar *oidc.AuthRequest) string {
	if ar == nil {
		return ""
	}
	return idParam(ar.ID)
}

func idParam(id string) string {
	if id == "" {
		return ""
	}
	return "?id=" + url.QueryEscape(id)
}

// withMethods is amr with the methods added that it lacks.
func withMethods(amr []string, methods ...string) []string {
	out := slices.Clone(amr)
	for _, m := range methods {
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}
