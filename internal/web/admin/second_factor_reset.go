package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/secondfactor"
	"github.com/coopgate/coopgate/internal/web/page"
)

// SecondFactor is the "Second factor" section of a person's page.
type SecondFactor struct {
	Factors  secondfactor.Factors
	Required bool // their role requires one
	Own      bool // the secretary's own page: another secretary must reset it
}

func (h *Handler) secondFactor(ctx context.Context, p *people.Person) (SecondFactor, error) {
	f, err := h.Factors.Of(ctx, p.ID)
	me := page.Me(ctx)
	return SecondFactor{Factors: f, Required: h.Factors.Required(p), Own: me != nil && me.ID == p.ID}, err
}

// resetSecondFactor removes someone's second factors, for a member who lost
// their phone or passkey: audited, and the person is told by mail.
func (h *Handler) resetSecondFactor(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	err := h.Factors.Reset(r.Context(), page.Actor(r), id)
	switch {
	case errors.Is(err, secondfactor.ErrOwnFactors):
		return &page.Error{Status: http.StatusForbidden, Err: err,
			Message: "You cannot reset your own second factors: ask another secretary, so that nobody with your password alone can."}
	case errors.Is(err, secondfactor.ErrUnknownPerson):
		return page.NotFound()
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/admin/people/"+id+"?done=second-factor-reset")
}
