package federation_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/people/peopletest"
)

func spamProposal(domain string) federation.NewProposal {
	return federation.NewProposal{Domain: domain, Ground: federation.Spam,
		Evidence: "https://spam.example/@bot/1\n\n https://spam.example/@bot/2 \n", Why: "Hundreds of mentions an hour"}
}

// TestProposeAndAccept: a member proposes, a moderator accepts with the
// Loomio thread; the decision is recorded from the proposal, Mastodon gets
// the block, and the member is told by mail.
func TestProposeAndAccept(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ann := peopletest.Admitted(t, h.pool, "ann@example.coop")
	_, mod := h.moderator(t, "mo@example.coop")

	prop, err := h.svc.Propose(ctx, ann, spamProposal("Spam.Example"), audit.Actor{PersonID: ann.ID, Label: ann.Email})
	if err != nil {
		t.Fatal(err)
	}
	if prop.Domain != "spam.example" || prop.State != federation.ProposalPending || len(prop.Evidence) != 2 || prop.ProposerName != ann.Name {
		t.Errorf("proposal %+v", prop)
	}
	if _, err := h.svc.Propose(ctx, ann, spamProposal("spam.example"), audit.Actor{}); !errors.Is(err, federation.ErrAlreadyProposed) {
		t.Errorf("a second pending proposal: %v", err)
	}
	if pending, _ := federation.PendingProposals(ctx, h.pool); len(pending) != 1 {
		t.Errorf("pending %+v", pending)
	}

	n := federation.NewDecision{Domain: "other.example", Settings: federation.Settings{Severity: federation.Suspend},
		Ground: federation.Spam, PublicReason: "Spam floods", Reference: "https://loomio.example.coop/d/xyz"}
	d, err := h.svc.Accept(ctx, prop.ID, n, mod)
	if err != nil {
		t.Fatal(err)
	}
	if d.Domain != "spam.example" || d.Source != federation.FromProposal || d.Action != federation.Block {
		t.Errorf("decision %+v; want the proposal's domain, from the proposal", d)
	}
	prop, _ = federation.ProposalByID(ctx, h.pool, prop.ID)
	if prop.State != federation.ProposalAccepted || prop.DecisionID == nil || *prop.DecisionID != d.ID {
		t.Errorf("proposal after: %+v", prop)
	}
	if _, err := h.svc.Accept(ctx, prop.ID, n, mod); !errors.Is(err, federation.ErrProposalDecided) {
		t.Errorf("accepting twice: %v", err)
	}
	eventually(t, "the member's mail and the block", func() (bool, string) {
		sent := h.sent.Sent()
		return len(sent) == 1 && sent[0].To == "ann@example.coop" && strings.Contains(sent[0].Text, "spam.example is now blocked") &&
			strings.Contains(sent[0].Text, "https://loomio.example.coop/d/xyz") && strings.Contains(sent[0].Text, "http://id.example.coop/federation/spam.example") &&
			h.fakeBlock("spam.example") != "", describeMail(sent)
	})
	if n := h.count(t, `SELECT count(*) FROM audit_events WHERE action IN ('federation.propose', 'federation.block', 'federation.proposal_accepted')
		AND subject_id = 'spam.example'`); n != 3 {
		t.Errorf("%d audit events", n)
	}
}

// TestAcceptRefusesABadDecision: the acceptance needs a reference like any
// decision; the proposal stays pending and nobody is mailed.
func TestAcceptRefusesABadDecision(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ann := peopletest.Admitted(t, h.pool, "ann@example.coop")
	_, mod := h.moderator(t, "mo@example.coop")
	prop, _ := h.svc.Propose(ctx, ann, spamProposal("spam.example"), audit.Actor{})
	_, err := h.svc.Accept(ctx, prop.ID, federation.NewDecision{Settings: federation.Settings{Severity: federation.Suspend},
		Ground: federation.Spam, PublicReason: "x"}, mod)
	var p federation.Problems
	if !errors.As(err, &p) || p["reference"] == "" {
		t.Fatalf("err %v", err)
	}
	if prop, _ := federation.ProposalByID(ctx, h.pool, prop.ID); prop.State != federation.ProposalPending {
		t.Errorf("state %s", prop.State)
	}
	if n := h.count(t, `SELECT count(*) FROM federation_decisions`) + h.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mail_send'`); n != 0 {
		t.Errorf("%d rows written", n)
	}
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ann := peopletest.Admitted(t, h.pool, "ann@example.coop")
	_, mod := h.moderator(t, "mo@example.coop")
	prop, _ := h.svc.Propose(ctx, ann, spamProposal("loud.example"), audit.Actor{})
	if err := h.svc.Decline(ctx, prop.ID, "  ", mod); !errors.Is(err, federation.ErrDeclineNeedsReason) {
		t.Errorf("declining without a reason: %v", err)
	}
	if err := h.svc.Decline(ctx, prop.ID, "Loud is not spam: see the free speech policy", mod); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Decline(ctx, prop.ID, "again", mod); !errors.Is(err, federation.ErrProposalDecided) {
		t.Errorf("declining twice: %v", err)
	}
	eventually(t, "the member's mail", func() (bool, string) {
		sent := h.sent.Sent()
		return len(sent) == 1 && strings.Contains(sent[0].Text, "Loud is not spam"), describeMail(sent)
	})
	if mine, _ := federation.ProposalsBy(ctx, h.pool, ann.ID); len(mine) != 1 || mine[0].State != federation.ProposalDeclined {
		t.Errorf("ann's proposals %+v", mine)
	}
	if current, _ := federation.Current(ctx, h.pool); len(current) != 0 {
		t.Errorf("a declined proposal blocked %+v", current)
	}
}

// TestProposeRefuses: only admitted members propose, and each field's
// problem is named.
func TestProposeRefuses(t *testing.T) {
	h := newHarness(t, noWorkers)
	ctx := context.Background()
	ann := peopletest.Admitted(t, h.pool, "ann@example.coop")
	gone := peopletest.Create(t, h.pool, people.New{Email: "gone@example.coop", Status: people.Ceased})
	if _, err := h.svc.Propose(ctx, gone, spamProposal("spam.example"), audit.Actor{}); !errors.Is(err, federation.ErrNotMember) {
		t.Errorf("a former member: %v", err)
	}
	for field, n := range map[string]federation.NewProposal{
		"domain":   {Domain: "*.spam.example", Ground: federation.Spam, Why: "x"},
		"ground":   {Domain: "spam.example", Ground: "politics", Why: "x"},
		"why":      {Domain: "spam.example", Ground: federation.Spam, Why: " "},
		"evidence": {Domain: "spam.example", Ground: federation.Spam, Why: "x", Evidence: "javascript:alert(1)"},
	} {
		_, err := h.svc.Propose(ctx, ann, n, audit.Actor{})
		var p federation.Problems
		if !errors.As(err, &p) || p[field] == "" {
			t.Errorf("%s: %v", field, err)
		}
	}
	if n := h.count(t, `SELECT count(*) FROM federation_proposals`); n != 0 {
		t.Errorf("%d proposals", n)
	}
}
