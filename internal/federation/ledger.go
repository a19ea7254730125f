package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/policy"
)

// ErrNothingToLift is a lift of a domain that neither the ledger nor
// Mastodon (as last seen) blocks.
var ErrNothingToLift = errors.New("federation: the domain is not blocked")

// Record checks n and records it, with its audit event and its job for
// Mastodon, in one transaction. A problem with n is returned as Problems.
func (s *Service) Record(ctx context.Context, n NewDecision, actor audit.Actor) (Decision, error) {
	if p := n.Check(s.today()); p.Any() {
		return Decision{}, p
	}
	var d Decision
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		d, err = s.recordIn(ctx, tx, n, actor)
		return err
	})
	return d, err
}

// recordIn records a checked decision in tx: the one way into the ledger.
func (s *Service) recordIn(ctx context.Context, tx pgx.Tx, n NewDecision, actor audit.Actor) (Decision, error) {
	// One decision at a time per domain, so "latest" is well defined.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('federation:' || $1, 0))`, n.Domain); err != nil {
		return Decision{}, fmt.Errorf("federation: locking %s: %w", n.Domain, err)
	}
	if n.Action == Lift {
		if err := liftable(ctx, tx, n.Domain); err != nil {
			return Decision{}, err
		}
	}
	policyID, version, err := groundPolicy(ctx, tx, n.Ground)
	if err != nil {
		return Decision{}, err
	}
	d, err := scanDecision(tx.QueryRow(ctx, `
		INSERT INTO federation_decisions (domain, action, severity, reject_media, reject_reports, obfuscate, ground,
			policy_id, policy_version, public_reason, private_note, reference, review_on, source, recorded_by, recorded_by_label)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, nullif($15, '')::uuid, $16)
		RETURNING `+decisionColumns,
		n.Domain, n.Action, n.Severity, n.RejectMedia, n.RejectReports, n.Obfuscate, n.Ground, policyID, version,
		n.PublicReason, n.PrivateNote, n.Reference, n.ReviewOn, n.Source, actor.PersonID, actor.Label))
	if err != nil {
		return Decision{}, err
	}
	if err := audit.Record(ctx, tx, actor, audit.Event{Action: "federation." + string(d.Action), SubjectType: "federation_domain",
		SubjectID: d.Domain, After: auditView(d)}); err != nil {
		return Decision{}, err
	}
	return d, s.enqueueApply(ctx, tx, d)
}

func auditView(d Decision) map[string]any {
	return map[string]any{"decision": d.ID, "severity": d.Severity, "reject_media": d.RejectMedia,
		"reject_reports": d.RejectReports, "obfuscate": d.Obfuscate, "ground": d.Ground, "policy": d.PolicyID,
		"policy_version": d.PolicyVersion, "public_reason": d.PublicReason, "private_note": d.PrivateNote,
		"reference": d.Reference, "review_on": d.ReviewOn, "source": d.Source}
}

// liftable says whether a lift of domain has anything to lift: a block in
// the ledger, or one Mastodon was last seen to have.
func liftable(ctx context.Context, q database.Querier, domain string) error {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM federation_mastodon_blocks WHERE domain = $1)
		OR coalesce((SELECT action = 'block' FROM federation_decisions WHERE domain = $1 ORDER BY id DESC LIMIT 1), false)`,
		domain).Scan(&ok)
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	if !ok {
		return ErrNothingToLift
	}
	return nil
}

// groundPolicy is the policy behind ground and its current version; empty
// for a lift, a ground the law backs, or a policy the co-op has not loaded.
func groundPolicy(ctx context.Context, q database.Querier, ground Ground) (string, string, error) {
	info, ok := GroundOf(string(ground))
	if !ok || info.PolicyID == "" {
		return "", "", nil
	}
	current, err := policy.Current(ctx, q)
	if err != nil {
		return "", "", err
	}
	for _, p := range current {
		if p.ID == info.PolicyID {
			return p.ID, p.Version, nil
		}
	}
	return info.PolicyID, "", nil
}

const decisionColumns = `id, domain, action, severity, reject_media, reject_reports, obfuscate, ground, policy_id,
	policy_version, public_reason, private_note, reference, review_on, source, coalesce(recorded_by::text, ''),
	recorded_by_label, recorded_at`

func scanDecision(row pgx.Row) (Decision, error) {
	var d Decision
	err := row.Scan(&d.ID, &d.Domain, &d.Action, &d.Severity, &d.RejectMedia, &d.RejectReports, &d.Obfuscate, &d.Ground,
		&d.PolicyID, &d.PolicyVersion, &d.PublicReason, &d.PrivateNote, &d.Reference, &d.ReviewOn, &d.Source,
		&d.RecordedBy, &d.RecordedByLabel, &d.RecordedAt)
	if err != nil {
		return Decision{}, fmt.Errorf("federation: decision: %w", err)
	}
	return d, nil
}

func collectDecisions(rows pgx.Rows, err error) ([]Decision, error) {
	if err != nil {
		return nil, fmt.Errorf("federation: decisions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Decision, error) { return scanDecision(r) })
	if err != nil {
		return nil, fmt.Errorf("federation: decisions: %w", err)
	}
	return out, nil
}

// latestSQL is every domain's latest decision.
const latestSQL = `SELECT DISTINCT ON (domain) ` + decisionColumns + ` FROM federation_decisions ORDER BY domain, id DESC`

// Current is what the co-op blocks now: each blocked domain's latest
// decision, by domain.
func Current(ctx context.Context, q database.Querier) ([]Decision, error) {
	return collectDecisions(q.Query(ctx, `SELECT * FROM (`+latestSQL+`) latest WHERE action = 'block' ORDER BY domain`))
}

// Latest is every domain's latest decision, lifts included, by domain.
func Latest(ctx context.Context, q database.Querier) ([]Decision, error) {
	return collectDecisions(q.Query(ctx, latestSQL))
}

// LatestFor is domain's latest decision; nil when there is none.
func LatestFor(ctx context.Context, q database.Querier, domain string) (*Decision, error) {
	d, err := scanDecision(q.QueryRow(ctx, `SELECT `+decisionColumns+` FROM federation_decisions
		WHERE domain = $1 ORDER BY id DESC LIMIT 1`, domain))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// History is every decision about domain, newest first.
func History(ctx context.Context, q database.Querier, domain string) ([]Decision, error) {
	return collectDecisions(q.Query(ctx, `SELECT `+decisionColumns+` FROM federation_decisions
		WHERE domain = $1 ORDER BY id DESC`, domain))
}

// DomainByDigest is the decided domain whose Digest is digest, for the
// history of an obfuscated one; "" when none.
func DomainByDigest(ctx context.Context, q database.Querier, digest string) (string, error) {
	var domain string
	err := q.QueryRow(ctx, `SELECT domain FROM federation_decisions
		WHERE encode(sha256(convert_to(domain, 'UTF8')), 'hex') = $1 LIMIT 1`, digest).Scan(&domain)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("federation: %w", err)
	}
	return domain, nil
}
