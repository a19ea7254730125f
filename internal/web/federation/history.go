package federation

import (
	"net/http"
	"regexp"

	fed "github.com/coopgate/coopgate/internal/federation"
	"github.com/coopgate/coopgate/internal/web/page"
)

// HistoryPage is every decision about one domain, newest first.
type HistoryPage struct {
	Domain    string // as published: starred out when its latest decision obfuscates it
	RealName  string // the domain itself, for moderators
	Digest    string
	Decisions []fed.Decision
	Current   *fed.Decision // the latest, when it is a block
	Moderator bool          // private notes and who recorded each are shown
	Notice    string
}

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (h *Handler) showHistory(w http.ResponseWriter, r *http.Request) error {
	domain, err := h.domainOf(r, r.PathValue("domain"))
	if err != nil {
		return err
	}
	list, err := fed.History(r.Context(), h.Pool, domain)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return page.NotFound()
	}
	me := page.Me(r.Context())
	data := HistoryPage{Domain: list[0].PublicDomain(), RealName: domain, Digest: fed.Digest(domain), Decisions: list,
		Moderator: me != nil && me.CanModerate()}
	if list[0].Action == fed.Block {
		data.Current = &list[0]
	}
	if r.URL.Query().Get("recorded") != "" {
		data.Notice = "The decision is recorded and published. Mastodon is told in a moment; the moderators' page shows how that went."
	}
	return h.Render.Render(w, r, http.StatusOK, "federation/history", data.Domain, data)
}

// domainOf reads a history page's key: a domain as typed, or the digest
// an obfuscated block is published under.
func (h *Handler) domainOf(r *http.Request, key string) (string, error) {
	if digestPattern.MatchString(key) {
		domain, err := fed.DomainByDigest(r.Context(), h.Pool, key)
		if err != nil {
			return "", err
		}
		if domain == "" {
			return "", page.NotFound()
		}
		return domain, nil
	}
	domain, err := fed.NormalizeDomain(key)
	if err != nil {
		return "", page.NotFound()
	}
	return domain, nil
}
