package admin

import (
	"context"
	"errors"
	"net/http"

	"github.com/coopgate/coopgate/internal/admission"
	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/downstream/provisioning"
	"github.com/coopgate/coopgate/internal/membership"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/internal/register"
	"github.com/coopgate/coopgate/internal/web/page"
)

// PersonPage is everything the secretary knows about one person, and what
// they can do about their standing.
type PersonPage struct {
	Person          *people.Person
	RegisterEntry   *register.Entry // nil when not linked
	Applications    []admission.Application
	Acceptances     []policy.Acceptance
	PendingPolicies []policy.Policy // required, current, not accepted
	Events          []audit.Entry
	Accounts        Accounts
	OtherEmails     []people.OtherEmail
	Standing        membership.Standing
	PendingChange   *membership.Change // what the register asks of them, waiting
	SecondFactor    SecondFactor
	Notice          string
	CeaseReason     string
	CeaseError      string
}

// Accounts is the "Service accounts" section.
type Accounts struct {
	Configured bool
	List       []provisioning.Account
	Failed     bool // the list could not be loaded
}

// CanCease and CanReinstate say which standing action applies.
func (p PersonPage) CanCease() bool     { return p.Person.Status == people.Admitted }
func (p PersonPage) CanReinstate() bool { return p.Person.Status == people.Ceased }

// recentEvents is how much of a person's audit trail the page shows.
const recentEvents = 20

func (h *Handler) showPerson(w http.ResponseWriter, r *http.Request) error {
	data, err := h.personPage(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	switch r.URL.Query().Get("done") {
	case "ceased":
		data.Notice = "The membership has ended. Their sessions and tokens ended with it, and they have been told by mail."
	case "reinstated":
		data.Notice = "The membership is reinstated, and they have been told by mail."
	case "role_granted":
		data.Notice = "They are a moderator now: they record the co-op's federation decisions and decide members' proposals."
	case "role_revoked":
		data.Notice = "They are no longer a moderator."
	case "second-factor-reset":
		data.Notice = "Their second factors are reset, and they have been told by mail. They log in with their password and set up a new one."
	}
	return h.renderPerson(w, r, http.StatusOK, data)
}

func (h *Handler) renderPerson(w http.ResponseWriter, r *http.Request, status int, data *PersonPage) error {
	return h.Render.Render(w, r, status, "admin/person", data.Person.Name, data)
}

// personPage gathers the page's facts; page.NotFound for an unknown id.
func (h *Handler) personPage(ctx context.Context, id string) (*PersonPage, error) {
	p, err := people.ByID(ctx, h.Pool, id)
	if errors.Is(err, people.ErrNotFound) {
		return nil, page.NotFound()
	}
	if err != nil {
		return nil, err
	}
	data := &PersonPage{Person: p}
	if err := h.personHistory(ctx, data); err != nil {
		return nil, err
	}
	if p.RegisterEntryID != nil {
		if data.RegisterEntry, err = register.Get(ctx, h.Pool, *p.RegisterEntryID); err != nil && !errors.Is(err, register.ErrNotFound) {
			return nil, err
		}
	}
	data.Accounts = h.accounts(ctx, p.ID)
	if err := h.personMembership(ctx, data); err != nil {
		return nil, err
	}
	if data.SecondFactor, err = h.secondFactor(ctx, p); err != nil {
		return nil, err
	}
	return data, nil
}

// personMembership adds their other addresses, dues standing and any
// change the register asks of them.
func (h *Handler) personMembership(ctx context.Context, data *PersonPage) (err error) {
	p := data.Person
	if data.OtherEmails, err = people.OtherEmails(ctx, h.Pool, p.ID); err != nil {
		return err
	}
	data.Standing = h.Membership.Policy.StandingOn(p.PaidUntil, h.Membership.Now())
	data.PendingChange, err = membership.PendingFor(ctx, h.Pool, p.ID)
	return err
}

func (h *Handler) personHistory(ctx context.Context, data *PersonPage) (err error) {
	id := data.Person.ID
	if data.Applications, err = admission.ApplicationsOf(ctx, h.Pool, id); err != nil {
		return err
	}
	if data.Acceptances, err = policy.Accepted(ctx, h.Pool, id); err != nil {
		return err
	}
	if data.PendingPolicies, err = policy.Pending(ctx, h.Pool, id); err != nil {
		return err
	}
	data.Events, err = audit.List(ctx, h.Pool, audit.Filter{SubjectID: id, Limit: recentEvents})
	return err
}

// accounts lists the person's service accounts, when any service is
// enabled. A failure leaves the rest of the page useful: it is logged and
// the section says so.
func (h *Handler) accounts(ctx context.Context, personID string) Accounts {
	if len(h.Downstream.Services) == 0 {
		return Accounts{}
	}
	list, err := provisioning.Accounts(ctx, h.Pool, personID)
	if err != nil {
		h.Log.ErrorContext(ctx, "admin: listing service accounts", "person", personID, "err", err,
			"request_id", page.RequestID(ctx))
		return Accounts{Configured: true, Failed: true}
	}
	return Accounts{Configured: true, List: list}
}
