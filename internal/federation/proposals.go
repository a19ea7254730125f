package federation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
)

// Proposal is a member's proposal to block a server.
type Proposal struct {
	ID            int64
	Domain        string
	Ground        Ground
	Evidence      []string // links
	Why           string
	ProposedBy    string // the member's id
	ProposerName  string
	ProposedAt    time.Time
	State         string // pending, accepted or declined
	DecidedAt     *time.Time
	DeclineReason string
	DecisionID    *int64
}

// Proposal states.
const (
	ProposalPending  = "pending"
	ProposalAccepted = "accepted"
	ProposalDeclined = "declined"
)

// Errors the pages turn into messages.
var (
	ErrNotMember          = errors.New("federation: only admitted members propose blocks")
	ErrAlreadyProposed    = errors.New("federation: this member's proposal for the domain is waiting already")
	ErrProposalDecided    = errors.New("federation: the proposal was decided already")
	ErrProposalNotFound   = errors.New("federation: no such proposal")
	ErrDeclineNeedsReason = errors.New("federation: a declined proposal needs a reason")
)

// NewProposal is what a member proposes. Check normalises it.
type NewProposal struct {
	Domain   string
	Ground   Ground
	Evidence string // links, one a line
	Why      string
}

// maxEvidence bounds the links a proposal carries.
const maxEvidence = 10

// Check normalises n and says what is wrong with it; it returns the links.
func (n *NewProposal) Check() ([]string, Problems) {
	p := Problems{}
	domain, err := NormalizeDomain(n.Domain)
	var de *DomainError
	if errors.As(err, &de) {
		p["domain"] = de.Message
	}
	n.Domain, n.Why = domain, strings.TrimSpace(n.Why)
	if _, ok := GroundOf(string(n.Ground)); !ok {
		p["ground"] = "Choose the ground the co-op's policies give for blocking it."
	}
	switch {
	case n.Why == "":
		p["why"] = "Tell the moderators what you saw from this server."
	case utf8.RuneCountInString(n.Why) > maxText:
		p["why"] = "This is too long (at most 2000 characters)."
	}
	links, msg := evidenceLinks(n.Evidence)
	if msg != "" {
		p["evidence"] = msg
	}
	return links, p
}

func evidenceLinks(text string) ([]string, string) {
	links := []string{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if webURL(line) == "" || len(line) > maxReference {
			return nil, "Put one web address (starting https://) on each line."
		}
		links = append(links, line)
	}
	if len(links) > maxEvidence {
		return nil, "At most 10 links, please: the clearest ones."
	}
	return links, ""
}

// Propose records an admitted member's proposal, with its audit event.
func (s *Service) Propose(ctx context.Context, proposer *people.Person, n NewProposal, actor audit.Actor) (Proposal, error) {
	if proposer.Status != people.Admitted {
		return Proposal{}, ErrNotMember
	}
	links, problems := n.Check()
	if problems.Any() {
		return Proposal{}, problems
	}
	var id int64
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO federation_proposals (domain, ground, evidence, why, proposed_by)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, n.Domain, n.Ground, links, n.Why, proposer.ID).Scan(&id)
		if database.IsUniqueViolation(err, "federation_proposals_one_pending") {
			return ErrAlreadyProposed
		}
		if err != nil {
			return fmt.Errorf("federation: proposing: %w", err)
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "federation.propose", SubjectType: "federation_domain",
			SubjectID: n.Domain, After: map[string]any{"proposal": id, "ground": n.Ground, "evidence": links, "why": n.Why}})
	})
	if err != nil {
		return Proposal{}, err
	}
	return ProposalByID(ctx, s.pool, id)
}

// Accept turns a pending proposal into decision n (about the proposal's
// domain), marks it accepted, and tells the proposer by mail, in one
// transaction with the audit events and the job for Mastodon.
func (s *Service) Accept(ctx context.Context, id int64, n NewDecision, actor audit.Actor) (Decision, error) {
	n.Action, n.Source = Block, FromProposal
	var d Decision
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		prop, err := pendingForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		n.Domain = prop.Domain
		if p := n.Check(s.today()); p.Any() {
			return p
		}
		if d, err = s.recordIn(ctx, tx, n, actor); err != nil {
			return err
		}
		if err := s.closeProposal(ctx, tx, prop, ProposalAccepted, "", &d.ID, actor); err != nil {
			return err
		}
		return s.mail.Send(ctx, tx, prop.proposerEmail, mail.ProposalAccepted{Name: prop.ProposerName, Domain: d.Domain,
			Severity: d.Severity.Words(), Reason: d.PublicReason, Reference: d.Reference, Link: s.link("/federation/" + d.Domain)})
	})
	return d, err
}

// Decline closes a pending proposal with the moderator's reason, which the
// proposer is mailed.
func (s *Service) Decline(ctx context.Context, id int64, reason string, actor audit.Actor) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxText {
		return ErrDeclineNeedsReason
	}
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		prop, err := pendingForUpdate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.closeProposal(ctx, tx, prop, ProposalDeclined, reason, nil, actor); err != nil {
			return err
		}
		return s.mail.Send(ctx, tx, prop.proposerEmail, mail.ProposalDeclined{Name: prop.ProposerName, Domain: prop.Domain,
			Reason: reason, Link: s.link("/federation")})
	})
}

type lockedProposal struct {
	Proposal
	proposerEmail string
}

func pendingForUpdate(ctx context.Context, tx pgx.Tx, id int64) (lockedProposal, error) {
	var p lockedProposal
	err := tx.QueryRow(ctx, `SELECT id, domain, state, proposed_by::text FROM federation_proposals
		WHERE id = $1 FOR UPDATE`, id).Scan(&p.ID, &p.Domain, &p.State, &p.ProposedBy)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return p, ErrProposalNotFound
	case err != nil:
		return p, fmt.Errorf("federation: proposal %d: %w", id, err)
	case p.State != ProposalPending:
		return p, ErrProposalDecided
	}
	who, err := people.ByID(ctx, tx, p.ProposedBy)
	if err != nil {
		return p, err
	}
	p.ProposerName, p.proposerEmail = who.Name, who.Email
	return p, nil
}

func (s *Service) closeProposal(ctx context.Context, tx pgx.Tx, p lockedProposal, state, reason string, decision *int64, actor audit.Actor) error {
	_, err := tx.Exec(ctx, `UPDATE federation_proposals SET state = $2, decline_reason = $3, decision_id = $4,
		decided_by = nullif($5, '')::uuid, decided_at = now() WHERE id = $1`, p.ID, state, reason, decision, actor.PersonID)
	if err != nil {
		return fmt.Errorf("federation: closing proposal %d: %w", p.ID, err)
	}
	return audit.Record(ctx, tx, actor, audit.Event{Action: "federation.proposal_" + state, SubjectType: "federation_domain",
		SubjectID: p.Domain, After: map[string]any{"proposal": p.ID, "reason": reason, "decision": decision}})
}

const proposalColumns = `id, domain, ground, evidence, why, proposed_by::text, proposed_at, state,
	decided_at, decline_reason, decision_id`

// collectProposals reads proposals and names their proposers, whom it
// reads through internal/people.
func collectProposals(ctx context.Context, q database.Querier, where string, args ...any) ([]Proposal, error) {
	rows, err := q.Query(ctx, `SELECT `+proposalColumns+` FROM federation_proposals `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("federation: proposals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Proposal, error) {
		var p Proposal
		return p, r.Scan(&p.ID, &p.Domain, &p.Ground, &p.Evidence, &p.Why, &p.ProposedBy, &p.ProposedAt, &p.State,
			&p.DecidedAt, &p.DeclineReason, &p.DecisionID)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: proposals: %w", err)
	}
	ids := make([]string, 0, len(out))
	for _, p := range out {
		ids = append(ids, p.ProposedBy)
	}
	who, err := people.ByIDs(ctx, q, ids)
	for i := range out {
		if p := who[out[i].ProposedBy]; p != nil {
			out[i].ProposerName = p.Name
		}
	}
	return out, err
}

// ProposalByID is one proposal; ErrProposalNotFound when there is none.
func ProposalByID(ctx context.Context, q database.Querier, id int64) (Proposal, error) {
	list, err := collectProposals(ctx, q, `WHERE id = $1`, id)
	if err != nil {
		return Proposal{}, err
	}
	if len(list) == 0 {
		return Proposal{}, ErrProposalNotFound
	}
	return list[0], nil
}

// PendingProposals are the proposals waiting for moderators, oldest first.
func PendingProposals(ctx context.Context, q database.Querier) ([]Proposal, error) {
	return collectProposals(ctx, q, `WHERE state = 'pending' ORDER BY id`)
}

// ProposalsBy are a member's proposals, newest first.
func ProposalsBy(ctx context.Context, q database.Querier, personID string) ([]Proposal, error) {
	return collectProposals(ctx, q, `WHERE proposed_by = $1 ORDER BY id DESC`, personID)
}
