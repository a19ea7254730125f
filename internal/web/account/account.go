// Package account is a member's own pages: who they are to the co-op, which
// policy versions they accepted and when, their service accounts, their
// standing and dues, their other email addresses (added by a mailed link,
// through internal/admission), and an export of everything coopgate holds
// about them. Changing the login email lives with the other mailed-link
// flows in internal/web/signup.
package account

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/session"
	"github.com/coopgate/coopgate/internal/web/page"
)

// Handler serves the account area.
type Handler struct {
	Pool   *pgxpool.Pool
	Render *page.Renderer
	// Admission adds and removes a member's other email addresses.
	Admission *admission.Service
	// Membership words the member's standing on their page.
	Membership membership.Policy
	Limiter    *ratelimit.Limiter
	Now        func() time.Time

	forms *page.Validator
}

// Mount adds the area's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	h.forms = page.NewValidator()
	mux.Handle("GET /account", h.Render.Handle(page.LoggedIn(h.show)))
	mux.Handle("GET /account/export.json", h.Render.Handle(page.LoggedIn(h.export)))
	mux.Handle("GET /account/emails", h.Render.Handle(page.LoggedIn(h.showEmails)))
	mux.Handle("POST /account/emails", h.Render.Handle(page.LoggedIn(h.addEmail)))
	mux.Handle("POST /account/emails/remove", h.Render.Handle(page.LoggedIn(h.removeEmail)))
	mux.Handle("GET /account/emails/confirm", h.Render.Handle(h.showEmailConfirm))
	mux.Handle("POST /account/emails/confirm", h.Render.Handle(h.submitEmailConfirm))
}

// AccountPage is the member's own page.
type AccountPage struct {
	Person      *people.Person
	Acceptances []policy.Acceptance
	Pending     []policy.Policy
	Services    []provisioning.Account
	// Membership is the standing and addresses section (membership.go).
	Membership MembershipSection
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	ctx := r.Context()
	data := AccountPage{Person: me}
	var err error
	if data.Acceptances, err = policy.Accepted(ctx, h.Pool, me.ID); err != nil {
		return err
	}
	if data.Pending, err = policy.Pending(ctx, h.Pool, me.ID); err != nil {
		return err
	}
	if data.Services, err = provisioning.Accounts(ctx, h.Pool, me.ID); err != nil {
		return err
	}
	if data.Membership, err = h.membershipSection(ctx, me); err != nil {
		return err
	}
	return h.Render.Render(w, r, http.StatusOK, "account/account", "Your account", data)
}

// Export is everything coopgate holds about a person (GDPR art. 15/20),
// except secrets: no password hash, no tokens.
type Export struct {
	ExportedAt   time.Time               `json:"exported_at"`
	Profile      exportProfile           `json:"profile"`
	Acceptances  []policy.Acceptance     `json:"policy_acceptances"`
	Applications []admission.Application `json:"applications"`
	Sessions     []session.Info          `json:"sessions"`
	Services     []exportService         `json:"service_accounts"`
}

type exportProfile struct {
	Subject          string     `json:"sub"`
	Email            string     `json:"email"`
	EmailVerified    bool       `json:"email_verified"`
	Name             string     `json:"name"`
	Username         string     `json:"username"`
	Status           string     `json:"status"`
	Roles            []string   `json:"roles"`
	MembershipNumber string     `json:"membership_number,omitempty"`
	MembershipClass  string     `json:"membership_class,omitempty"`
	OtherEmails      []string   `json:"other_emails"`
	PaidUntil        *time.Time `json:"paid_until,omitempty"`
	CreatedAt        time.Time  `json:"created_at"`
	AdmittedAt       *time.Time `json:"admitted_at,omitempty"`
	CeasedAt         *time.Time `json:"ceased_at,omitempty"`
}

// exportService is one service account, without the errors and remote ids
// that are for the secretary.
type exportService struct {
	Service    string     `json:"service"`
	State      string     `json:"state"`
	LastSynced *time.Time `json:"last_synced,omitempty"`
}

func (h *Handler) export(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	x, err := h.collect(r.Context(), me)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="coopgate-`+me.Username+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(x)
}

func (h *Handler) collect(ctx context.Context, me *people.Person) (Export, error) {
	x := Export{ExportedAt: time.Now().UTC(), Profile: exportProfile{Subject: me.ID, Email: me.Email,
		EmailVerified: me.EmailVerified, Name: me.Name, Username: me.Username, Status: string(me.Status),
		Roles: me.Roles, MembershipNumber: me.MembershipNumber, MembershipClass: me.MembershipClass,
		CreatedAt: me.CreatedAt, AdmittedAt: me.AdmittedAt, CeasedAt: me.CeasedAt}}
	others, err := people.OtherEmails(ctx, h.Pool, me.ID)
	if err != nil {
		return x, err
	}
	x.Profile.OtherEmails, x.Profile.PaidUntil = make([]string, 0, len(others)), me.PaidUntil
	for _, o := range others {
		x.Profile.OtherEmails = append(x.Profile.OtherEmails, o.Email)
	}
	if x.Acceptances, err = policy.Accepted(ctx, h.Pool, me.ID); err != nil {
		return x, err
	}
	if x.Applications, err = admission.ApplicationsOf(ctx, h.Pool, me.ID); err != nil {
		return x, err
	}
	if x.Sessions, err = session.List(ctx, h.Pool, me.ID); err != nil {
		return x, err
	}
	accounts, err := provisioning.Accounts(ctx, h.Pool, me.ID)
	x.Services = make([]exportService, 0, len(accounts))
	for _, a := range accounts {
		x.Services = append(x.Services, exportService{Service: a.Service, State: a.State, LastSynced: a.LastSynced})
	}
	return x, err
}
