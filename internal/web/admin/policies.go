package admin

import (
	"bytes"
	"net/http"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/web/page"
)

// PoliciesPage shows, per policy, how far its current version is accepted.
type PoliciesPage struct {
	Admitted int
	Policies []PolicyStanding
}

// PolicyStanding is one policy's current version and who has not accepted it.
type PolicyStanding struct {
	policy.Policy
	AdmittedAccepted    int
	AdmittedNotAccepted int
	// NotAccepted is everyone still asked: admitted people and applicants.
	NotAccepted []policy.Person
}

func (h *Handler) showPolicies(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	current, err := policy.Current(ctx, h.Pool)
	if err != nil {
		return err
	}
	counts, err := people.CountByStatus(ctx, h.Pool)
	if err != nil {
		return err
	}
	data := PoliciesPage{Admitted: counts[people.Admitted]}
	for _, p := range current {
		missing, err := policy.NotAccepted(ctx, h.Pool, p.ID)
		if err != nil {
			return err
		}
		ps := PolicyStanding{Policy: p, NotAccepted: missing}
		for _, m := range missing {
			if m.Status == string(people.Admitted) {
				ps.AdmittedNotAccepted++
			}
		}
		ps.AdmittedAccepted = data.Admitted - ps.AdmittedNotAccepted
		data.Policies = append(data.Policies, ps)
	}
	return h.Render.Render(w, r, http.StatusOK, "admin/policies", "Policies", data)
}

// exportAcceptances sends every acceptance ever recorded as CSV, recorded in
// the audit log as an export of personal data.
func (h *Handler) exportAcceptances(w http.ResponseWriter, r *http.Request) error {
	var buf bytes.Buffer
	if err := policy.ExportCSV(r.Context(), h.Pool, &buf); err != nil {
		return err
	}
	if err := audit.Record(r.Context(), h.Pool, page.Actor(r), audit.Event{Action: "policy.acceptances_export", SubjectType: "policy"}); err != nil {
		return err
	}
	return sendCSV(w, "policy-acceptances", &buf)
}
