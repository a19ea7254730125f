package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
)

// ErrNotOnMastodon is an adoption of a block Mastodon was not last seen to have.
var ErrNotOnMastodon = errors.New("federation: Mastodon was not seen to block this domain")

// Adoption is what a moderator adds to a block made in Mastodon to make it
// the co-op's decision: the block's settings stay as Mastodon has them.
type Adoption struct {
	Domain       string
	Ground       Ground
	Reference    string
	PublicReason string // empty: Mastodon's public comment
	PrivateNote  string
	ReviewOn     *time.Time
}

// Adopt records a decision for a block Mastodon has and the ledger lacks,
// with Mastodon's settings, the moderator's ground and reference, and its
// audit event, in one transaction.
func (s *Service) Adopt(ctx context.Context, a Adoption, actor audit.Actor) (Decision, error) {
	var d Decision
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		r, err := remoteBlock(ctx, tx, a.Domain)
		if err != nil {
			return err
		}
		n := NewDecision{Domain: r.Domain, Action: Block, Settings: r.Settings, Ground: a.Ground, Reference: a.Reference,
			PublicReason: a.PublicReason, PrivateNote: a.PrivateNote, ReviewOn: a.ReviewOn, Source: FromAdoption}
		if n.PublicReason == "" {
			n.PublicReason = r.PublicComment
		}
		if p := n.Check(s.today()); p.Any() {
			return p
		}
		d, err = s.recordIn(ctx, tx, n, actor)
		return err
	})
	return d, err
}

func remoteBlock(ctx context.Context, q database.Querier, domain string) (RemoteBlock, error) {
	var r RemoteBlock
	err := q.QueryRow(ctx, `SELECT domain, remote_id, severity, reject_media, reject_reports, obfuscate, public_comment
		FROM federation_mastodon_blocks WHERE domain = $1`, domain).
		Scan(&r.Domain, &r.ID, &r.Severity, &r.RejectMedia, &r.RejectReports, &r.Obfuscate, &r.PublicComment)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrNotOnMastodon
	}
	if err != nil {
		return r, fmt.Errorf("federation: Mastodon's block of %s: %w", domain, err)
	}
	return r, nil
}
