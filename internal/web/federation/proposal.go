package federation

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// ProposalPage is a member's proposal with the moderators' two answers:
// accept it as a decision, or decline it with a reason.
type ProposalPage struct {
	Proposal fed.Proposal
	Current  *fed.Decision // what the ledger says of the domain now
	Form     DecisionForm
	Errors   page.FieldErrors
	Choices
	DeclineReason string
	DeclineError  string
	Notice        string
}

func (h *Handler) showProposal(w http.ResponseWriter, r *http.Request) error {
	prop, err := h.proposal(r)
	if err != nil {
		return err
	}
	f := DecisionForm{Domain: prop.Domain, Severity: string(fed.Suspend), Ground: string(prop.Ground)}
	return h.renderProposal(w, r, http.StatusOK, ProposalPage{Proposal: prop, Form: f, Errors: page.FieldErrors{}})
}

func (h *Handler) proposal(r *http.Request) (fed.Proposal, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return fed.Proposal{}, page.NotFound()
	}
	prop, err := fed.ProposalByID(r.Context(), h.Pool, id)
	if errors.Is(err, fed.ErrProposalNotFound) {
		return prop, page.NotFound()
	}
	return prop, err
}

func (h *Handler) renderProposal(w http.ResponseWriter, r *http.Request, status int, data ProposalPage) error {
	var err error
	if data.Choices, err = h.choices(r.Context()); err != nil {
		return err
	}
	if data.Current, err = fed.LatestFor(r.Context(), h.Pool, data.Proposal.Domain); err != nil {
		return err
	}
	return h.Render.Render(w, r, status, "federation/proposal", "Proposal to block "+data.Proposal.Domain, data)
}

// decidedAlready is the page for a second answer to one proposal (another
// moderator's, or a double click).
func (h *Handler) decidedAlready(w http.ResponseWriter, r *http.Request, prop fed.Proposal) error {
	fresh, err := fed.ProposalByID(r.Context(), h.Pool, prop.ID)
	if err != nil {
		return err
	}
	return h.renderProposal(w, r, http.StatusConflict, ProposalPage{Proposal: fresh, Errors: page.FieldErrors{},
		Notice: "This proposal was " + fresh.State + " already, by another moderator or an earlier click. Nothing more was recorded."})
}

func (h *Handler) accept(w http.ResponseWriter, r *http.Request) error {
	prop, err := h.proposal(r)
	if err != nil {
		return err
	}
	f, errs := readDecision(r)
	f.Domain = prop.Domain
	n := f.decision(fed.Block, fed.FromProposal)
	if err := fieldErrors(h.Federation.Check(&n), errs); err != nil {
		return err
	}
	if !errs.Any() {
		_, err = h.Federation.Accept(r.Context(), prop.ID, n, page.Actor(r))
		switch {
		case errors.Is(err, fed.ErrProposalDecided):
			return h.decidedAlready(w, r, prop)
		case err == nil:
			return page.Redirect(w, r, "/moderation/federation?accepted="+url.QueryEscape(prop.Domain))
		}
		if err := fieldErrors(err, errs); err != nil {
			return err
		}
	}
	return h.renderProposal(w, r, http.StatusUnprocessableEntity, ProposalPage{Proposal: prop, Form: f, Errors: errs})
}

func (h *Handler) decline(w http.ResponseWriter, r *http.Request) error {
	prop, err := h.proposal(r)
	if err != nil {
		return err
	}
	reason := r.PostFormValue("reason")
	err = h.Federation.Decline(r.Context(), prop.ID, reason, page.Actor(r))
	switch {
	case errors.Is(err, fed.ErrProposalDecided):
		return h.decidedAlready(w, r, prop)
	case errors.Is(err, fed.ErrDeclineNeedsReason):
		f := DecisionForm{Domain: prop.Domain, Severity: string(fed.Suspend), Ground: string(prop.Ground)}
		return h.renderProposal(w, r, http.StatusUnprocessableEntity, ProposalPage{Proposal: prop, Form: f, Errors: page.FieldErrors{},
			DeclineReason: reason, DeclineError: declineMessage(reason)})
	case err != nil:
		return err
	}
	return page.Redirect(w, r, "/moderation/federation?declined="+url.QueryEscape(prop.Domain))
}

func declineMessage(reason string) string {
	if strings.TrimSpace(reason) == "" {
		return "Tell the member why: they are mailed your reason."
	}
	return "This is too long (at most 2000 characters)."
}

// Fields is the accept form's fields: the domain is the proposal's.
func (p ProposalPage) Fields() FieldsView {
	return FieldsView{Form: p.Form, Errors: p.Errors, Choices: p.Choices, DomainFixed: true}
}
