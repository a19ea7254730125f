package login

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// SetupPage sends someone to set up a second factor: everyone whose role
// requires one, before anything else once their one login's grace is
// spent.
type SetupPage struct {
	Required bool // their role requires one
	CanSkip  bool // this once: the grace is not spent
	Passkeys bool // passkeys work on this issuer
}

func (h *Handler) showSetup(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	ctx := r.Context()
	f, err := h.Factors.Of(ctx, me.ID)
	if err != nil {
		return err
	}
	if f.Any() {
		return page.Redirect(w, r, "/account/second-factor")
	}
	data := SetupPage{Required: h.Factors.Required(me), Passkeys: h.Factors.PasskeysOn()}
	if data.Required {
		grace, err := h.Factors.GraceOf(ctx, me.ID, session.FromContext(ctx).ID)
		if err != nil {
			return err
		}
		data.CanSkip = grace == secondfactor.GraceUnused
	}
	return h.Render.Render(w, r, http.StatusOK, "login/second_factor_setup", "Set up a second factor", data)
}

// skipSetup spends the one login's grace on this session, and goes on
// with the login; the pages of the role stay closed.
func (h *Handler) skipSetup(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	ctx := r.Context()
	if h.Factors.Required(me) {
		login := session.FromContext(ctx).ID
		used, err := h.Factors.UseGrace(ctx, me, login, page.Actor(r))
		if err != nil {
			return err
		}
		if !used { // spent already: here (a second click), or elsewhere
			grace, err := h.Factors.GraceOf(ctx, me.ID, login)
			if err != nil {
				return err
			}
			if grace != secondfactor.GraceHere {
				return page.Redirect(w, r, "/login/second-factor/setup")
			}
		}
	}
	return page.Redirect(w, r, "/continue")
}
