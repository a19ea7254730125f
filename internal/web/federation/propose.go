package federation

import (
	"errors"
	"net/http"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/web/page"
)

// ProposePage is a member's form to propose blocking a server, with their
// proposals so far.
type ProposePage struct {
	Form      ProposalForm
	Errors    page.FieldErrors
	Grounds   []fed.GroundInfo
	Politics  fed.Quote
	Proposals []fed.Proposal
	Notice    string
}

// ProposalForm is the form as typed.
type ProposalForm struct {
	Domain   string
	Ground   string
	Evidence string
	Why      string
}

// errMembersOnly is the page for someone logged in who is not an admitted member.
var errMembersOnly = &page.Error{Status: http.StatusForbidden,
	Message: "Only the co-op's members propose blocks. Once your membership is admitted, you can."}

func (h *Handler) showPropose(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if me.Status != people.Admitted {
		return errMembersOnly
	}
	data := ProposePage{Errors: page.FieldErrors{}}
	if r.URL.Query().Get("sent") != "" {
		data.Notice = "Thank you: your proposal is with the moderators. You will hear by mail what they decide."
	}
	return h.renderPropose(w, r, http.StatusOK, me, data)
}

func (h *Handler) renderPropose(w http.ResponseWriter, r *http.Request, status int, me *people.Person, data ProposePage) error {
	var err error
	if data.Politics, err = fed.WhyNoPolitics(r.Context(), h.Pool); err != nil {
		return err
	}
	if data.Proposals, err = fed.ProposalsBy(r.Context(), h.Pool, me.ID); err != nil {
		return err
	}
	data.Grounds = fed.Grounds
	return h.Render.Render(w, r, status, "federation/propose", "Propose a block", data)
}

func (h *Handler) propose(w http.ResponseWriter, r *http.Request, me *people.Person) error {
	if me.Status != people.Admitted {
		return errMembersOnly
	}
	f := ProposalForm{Domain: r.PostFormValue("domain"), Ground: r.PostFormValue("ground"),
		Evidence: r.PostFormValue("evidence"), Why: r.PostFormValue("why")}
	_, err := h.Federation.Propose(r.Context(), me, fed.NewProposal{Domain: f.Domain, Ground: fed.Ground(f.Ground),
		Evidence: f.Evidence, Why: f.Why}, page.Actor(r))
	if err == nil {
		return page.Redirect(w, r, "/federation/propose?sent=1")
	}
	errs := page.FieldErrors{}
	if errors.Is(err, fed.ErrAlreadyProposed) {
		errs["domain"] = "Your proposal to block this server is with the moderators already."
	} else if err := fieldErrors(err, errs); err != nil {
		return err
	}
	return h.renderPropose(w, r, http.StatusUnprocessableEntity, me, ProposePage{Form: f, Errors: errs})
}

// GroundFields is the proposal's ground choice.
func (p ProposePage) GroundFields() GroundFieldsView {
	return GroundFieldsView{Grounds: p.Grounds, Chosen: p.Form.Ground, Errors: p.Errors, Politics: p.Politics}
}
