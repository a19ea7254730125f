package federation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/downstream/mastodon"
)

// RemoteBlock is a domain block as coopgate last saw it on Mastodon.
type RemoteBlock struct {
	Domain string
	ID     string // Mastodon's
	Settings
	PublicComment  string
	PrivateComment string
	SeenAt         time.Time
}

func remoteOf(b mastodon.DomainBlock) RemoteBlock {
	r := RemoteBlock{Domain: b.Domain, ID: b.ID, Settings: Settings{Severity: Severity(b.Severity),
		RejectMedia: b.RejectMedia, RejectReports: b.RejectReports, Obfuscate: b.Obfuscate}}
	if b.PublicComment != nil {
		r.PublicComment = *b.PublicComment
	}
	if b.PrivateComment != nil {
		r.PrivateComment = *b.PrivateComment
	}
	return r
}

// sameBlock says whether Mastodon's block is what decision d asks for.
// Mastodon's private comment is its admins' own and is left out.
func sameBlock(r RemoteBlock, d Decision) bool {
	return r.Settings == d.Settings && r.PublicComment == d.PublicReason
}

// saveRemote records one block as Mastodon just answered with it.
func saveRemote(ctx context.Context, q database.Querier, b mastodon.DomainBlock) error {
	return upsertRemote(ctx, q, remoteOf(b))
}

func upsertRemote(ctx context.Context, q database.Querier, r RemoteBlock) error {
	_, err := q.Exec(ctx, `
		INSERT INTO federation_mastodon_blocks (domain, remote_id, severity, reject_media, reject_reports, obfuscate,
			public_comment, private_comment, seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())
		ON CONFLICT (domain) DO UPDATE SET remote_id = $2, severity = $3, reject_media = $4, reject_reports = $5,
			obfuscate = $6, public_comment = $7, private_comment = $8, seen_at = now()`,
		r.Domain, r.ID, r.Severity, r.RejectMedia, r.RejectReports, r.Obfuscate, r.PublicComment, r.PrivateComment)
	if err != nil {
		return fmt.Errorf("federation: recording Mastodon's block of %s: %w", r.Domain, err)
	}
	return nil
}

// forgetRemote records that Mastodon no longer blocks domain.
func forgetRemote(ctx context.Context, q database.Querier, domain string) error {
	if _, err := q.Exec(ctx, `DELETE FROM federation_mastodon_blocks WHERE domain = $1`, domain); err != nil {
		return fmt.Errorf("federation: forgetting Mastodon's block of %s: %w", domain, err)
	}
	return nil
}

// replaceRemote records Mastodon's whole list, as just read, and when.
func replaceRemote(ctx context.Context, tx pgx.Tx, blocks []RemoteBlock) error {
	if _, err := tx.Exec(ctx, `DELETE FROM federation_mastodon_blocks`); err != nil {
		return fmt.Errorf("federation: replacing Mastodon's blocks: %w", err)
	}
	for _, b := range blocks {
		if err := upsertRemote(ctx, tx, b); err != nil {
			return err
		}
	}
	return noteComparison(ctx, tx, "")
}

// noteComparison records a comparison with Mastodon: when it succeeded, or
// what went wrong (safe to show).
func noteComparison(ctx context.Context, q database.Querier, problem string) error {
	_, err := q.Exec(ctx, `
		INSERT INTO federation_comparisons (compared_at, last_error) VALUES (CASE WHEN $1 = '' THEN now() END, $1)
		ON CONFLICT (id) DO UPDATE SET compared_at = CASE WHEN $1 = '' THEN now() ELSE federation_comparisons.compared_at END,
			last_error = $1, updated_at = now()`, problem)
	if err != nil {
		return fmt.Errorf("federation: recording the comparison: %w", err)
	}
	return nil
}

// RemoteBlocks are Mastodon's blocks as last seen, by domain.
func RemoteBlocks(ctx context.Context, q database.Querier) ([]RemoteBlock, error) {
	rows, err := q.Query(ctx, `SELECT domain, remote_id, severity, reject_media, reject_reports, obfuscate,
		public_comment, private_comment, seen_at FROM federation_mastodon_blocks ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("federation: Mastodon's blocks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RemoteBlock, error) {
		var b RemoteBlock
		return b, r.Scan(&b.Domain, &b.ID, &b.Severity, &b.RejectMedia, &b.RejectReports, &b.Obfuscate,
			&b.PublicComment, &b.PrivateComment, &b.SeenAt)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: Mastodon's blocks: %w", err)
	}
	return out, nil
}

// Comparison is when Mastodon's list was last read, and the last problem.
type Comparison struct {
	At      *time.Time
	Problem string
}

// LastComparison is the state of the comparison with Mastodon.
func LastComparison(ctx context.Context, q database.Querier) (Comparison, error) {
	var c Comparison
	err := q.QueryRow(ctx, `SELECT compared_at, last_error FROM federation_comparisons`).Scan(&c.At, &c.Problem)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Comparison{}, fmt.Errorf("federation: last comparison: %w", err)
	}
	return c, nil
}

// Applied is where carrying a domain's decision out stands.
type Applied struct {
	Domain     string
	DecisionID int64
	State      string // pending, applied, covered or failed
	Note       string
	UpdatedAt  time.Time
}

// AppliedStates are the records of carrying decisions out, by domain.
func AppliedStates(ctx context.Context, q database.Querier) (map[string]Applied, error) {
	rows, err := q.Query(ctx, `SELECT domain, decision_id, state, note, updated_at FROM federation_applied`)
	if err != nil {
		return nil, fmt.Errorf("federation: applied states: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Applied])
	if err != nil {
		return nil, fmt.Errorf("federation: applied states: %w", err)
	}
	out := make(map[string]Applied, len(list))
	for _, a := range list {
		out[a.Domain] = a
	}
	return out, nil
}
