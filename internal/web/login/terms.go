package login

import (
	"context"
	"errors"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/web/page"
)

// TermsPage asks a person to accept the required policies they have not
// accepted in their current version, showing what changed since the version
// they did accept.
type TermsPage struct {
	Policies []PendingPolicy
	Errors   page.FieldErrors
}

// PendingPolicy is one policy to accept.
type PendingPolicy struct {
	policy.Policy
	PreviousVersion string            // the version accepted before, if any
	Changes         []policy.DiffLine // from PreviousVersion to this one
	Checked         bool
}

func (h *Handler) pendingPolicies(ctx context.Context, personID string) ([]PendingPolicy, error) {
	pending, err := policy.Pending(ctx, h.Pool, personID)
	if err != nil {
		return nil, err
	}
	accepted, err := policy.AcceptedVersions(ctx, h.Pool, personID)
	if err != nil {
		return nil, err
	}
	out := make([]PendingPolicy, 0, len(pending))
	for _, p := range pending {
		pp := PendingPolicy{Policy: p}
		if prev, ok := accepted[p.ID]; ok {
			old, err := policy.Version(ctx, h.Pool, p.ID, prev)
			if err != nil {
				return nil, err
			}
			pp.PreviousVersion, pp.Changes = prev, policy.Diff(old.Body, p.Body)
		}
		out = append(out, pp)
	}
	return out, nil
}

func (h *Handler) showTerms(w http.ResponseWriter, r *http.Request, p *people.Person) error {
	pending, err := h.pendingPolicies(r.Context(), p.ID)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		return page.Redirect(w, r, "/continue")
	}
	return h.Render.Render(w, r, http.StatusOK, "login/terms", "Our policies", TermsPage{Policies: pending})
}

// acceptTerms records acceptance of exactly the versions shown: the form
// names each as id@version, so a policy updated meanwhile is asked again.
func (h *Handler) acceptTerms(w http.ResponseWriter, r *http.Request, p *people.Person) error {
	ctx := r.Context()
	pending, err := h.pendingPolicies(ctx, p.ID)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return page.BadRequest("This form could not be read.")
	}
	ticked := map[string]bool{}
	for _, v := range r.PostForm["accept"] {
		ticked[v] = true
	}
	data := TermsPage{Policies: pending, Errors: page.FieldErrors{}}
	var refs []policy.PolicyRef
	for i, pp := range pending {
		if !ticked[pp.ID+"@"+pp.Version] {
			data.Errors[pp.ID] = "Tick this box to accept " + pp.Title + ", or decline below."
			continue
		}
		data.Policies[i].Checked = true
		refs = append(refs, pp.Ref())
	}
	if data.Errors.Any() {
		return h.Render.Render(w, r, http.StatusUnprocessableEntity, "login/terms", "Our policies", data)
	}
	err = database.InTx(ctx, h.Pool, func(tx pgx.Tx) error {
		return policy.Accept(ctx, tx, p.ID, refs, page.ClientIP(ctx), r.UserAgent())
	})
	if errors.Is(err, policy.ErrUnknownVersion) {
		return page.Redirect(w, r, "/terms")
	}
	if err != nil {
		return err
	}
	return page.Redirect(w, r, "/continue")
}

// DeclinedPage explains what declining means.
type DeclinedPage struct{ Person *people.Person }

// declineTerms ends the session: nothing is issued to the relying party.
func (h *Handler) declineTerms(w http.ResponseWriter, r *http.Request) error {
	if err := h.Sessions.LogOut(w, r); err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "login/declined", "Policies declined", DeclinedPage{})
}
