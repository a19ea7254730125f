package federation

import (
	"net/http"
	"net/url"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// DashboardPage is the moderators' desk: proposals waiting, blocks on
// Mastodon that were not decided here, differences being put right,
// decisions Mastodon has not taken, and decisions due for review.
type DashboardPage struct {
	Notice     string
	Applies    bool // a Mastodon is configured
	Comparison fed.Comparison
	Proposals  []fed.Proposal
	NotDecided []fed.Difference
	Fixing     []fed.Difference // put right toward the ledger by the jobs
	Failed     []fed.Applied    // Mastodon refused to take a decision
	Due        []fed.Decision
	Current    int // blocks in force
}

func (h *Handler) showDashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	data := DashboardPage{Notice: dashboardNotice(r.URL.Query()), Applies: h.Federation.Applies()}
	var err error
	if data.Proposals, err = fed.PendingProposals(ctx, h.Pool); err != nil {
		return err
	}
	if data.Due, err = h.Federation.Due(ctx); err != nil {
		return err
	}
	current, err := fed.Current(ctx, h.Pool)
	if err != nil {
		return err
	}
	data.Current = len(current)
	if data.Applies {
		if err := h.mastodonState(r, &data); err != nil {
			return err
		}
	}
	return h.Render.Render(w, r, http.StatusOK, "federation/dashboard", "Federation decisions: moderation", data)
}

// mastodonState fills in how Mastodon's list, as last seen, stands
// against the ledger.
func (h *Handler) mastodonState(r *http.Request, data *DashboardPage) error {
	var err error
	if data.Comparison, err = fed.LastComparison(r.Context(), h.Pool); err != nil {
		return err
	}
	diffs, err := fed.Differences(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	for _, d := range diffs {
		if d.Fixable() {
			data.Fixing = append(data.Fixing, d)
		} else {
			data.NotDecided = append(data.NotDecided, d)
		}
	}
	applied, err := fed.AppliedStates(r.Context(), h.Pool)
	if err != nil {
		return err
	}
	for _, a := range applied {
		if a.State == "failed" {
			data.Failed = append(data.Failed, a)
		}
	}
	return nil
}

func dashboardNotice(q url.Values) string {
	switch {
	case q.Get("accepted") != "":
		return "The proposal to block " + q.Get("accepted") + " is accepted: the decision is published and the member is told by mail."
	case q.Get("declined") != "":
		return "The proposal to block " + q.Get("declined") + " is declined, and the member is told your reason by mail."
	case q.Get("adopted") != "":
		return "Mastodon's block of " + q.Get("adopted") + " is now the co-op's decision, and published."
	case q.Get("comparing") != "":
		return "Mastodon's list is being read now. Reload this page in a moment to see the result."
	case q.Get("imported") != "":
		return "The import is recorded: " + q.Get("imported") + " decisions, " + q.Get("unchanged") + " rows already as decided."
	}
	return ""
}

// compare asks for a comparison with Mastodon now.
func (h *Handler) compare(w http.ResponseWriter, r *http.Request) error {
	if err := h.Federation.CompareNow(r.Context(), page.Actor(r)); err != nil {
		return err
	}
	return page.Redirect(w, r, "/moderation/federation?comparing=1")
}
