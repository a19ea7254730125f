package admin

import (
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
)

// DashboardPage is the secretary's start page: what is waiting, and how many
// people stand where.
type DashboardPage struct {
	PendingApplications  int
	Admitted             int
	AwaitingVerification int // signed up, email not verified yet
	Ceased               int
	// What the register and dues ask of the secretary.
	Membership membership.Counts
}

func (h *Handler) showDashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pending, err := admission.Applications(ctx, h.Pool, "pending")
	if err != nil {
		return err
	}
	counts, err := people.CountByStatus(ctx, h.Pool)
	if err != nil {
		return err
	}
	data := DashboardPage{PendingApplications: len(pending), Admitted: counts[people.Admitted],
		AwaitingVerification: counts[people.SignedUp], Ceased: counts[people.Ceased]}
	if data.Membership, err = h.Membership.Counts(ctx, h.Pool); err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "admin/dashboard", "Admin", data)
}
