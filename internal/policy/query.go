package policy

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

const versionColumns = `policy_id, version, title, sha256, body, effective, required`

// currentVersions picks, per policy, the version in effect today: the latest
// effective date not in the future and, between versions effective on the
// same day, the one loaded last. Version strings are never ordered: "10"
// sorts before "9".
const currentVersions = `
	SELECT DISTINCT ON (policy_id) ` + versionColumns + `
	FROM policy_versions
	WHERE effective <= current_date
	ORDER BY policy_id, effective DESC, loaded_at DESC`

// Current returns the version of each policy in effect today, by id.
func Current(ctx context.Context, db database.Querier) ([]Policy, error) {
	rows, err := db.Query(ctx, currentVersions)
	if err != nil {
		return nil, fmt.Errorf("policy: current versions: %w", err)
	}
	return collectPolicies(rows)
}

// Version returns one stored version, or ErrNotFound.
func Version(ctx context.Context, db database.Querier, id, version string) (Policy, error) {
	rows, err := db.Query(ctx, `SELECT `+versionColumns+` FROM policy_versions
		WHERE policy_id = $1 AND version = $2`, id, version)
	if err != nil {
		return Policy{}, fmt.Errorf("policy %q version %q: %w", id, version, err)
	}
	policies, err := collectPolicies(rows)
	if err != nil {
		return Policy{}, err
	}
	if len(policies) == 0 {
		return Policy{}, fmt.Errorf("policy %q version %q: %w", id, version, ErrNotFound)
	}
	return policies[0], nil
}

// Versions returns every stored version of a policy, the newest first,
// including any that take effect in the future; ErrNotFound if there is none.
func Versions(ctx context.Context, db database.Querier, id string) ([]Policy, error) {
	rows, err := db.Query(ctx, `SELECT `+versionColumns+` FROM policy_versions
		WHERE policy_id = $1 ORDER BY effective DESC, loaded_at DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("policy %q: versions: %w", id, err)
	}
	policies, err := collectPolicies(rows)
	if err == nil && len(policies) == 0 {
		err = fmt.Errorf("policy %q: %w", id, ErrNotFound)
	}
	return policies, err
}

// Pending returns the required policies whose current version the person
// has not accepted: what the terms gate must ask them to accept.
func Pending(ctx context.Context, db database.Querier, personID string) ([]Policy, error) {
	rows, err := db.Query(ctx, `
		WITH in_effect AS (`+currentVersions+`)
		SELECT `+versionColumns+` FROM in_effect c
		WHERE c.required AND NOT EXISTS (
			SELECT FROM policy_acceptances a
			WHERE a.person_id = $1 AND a.policy_id = c.policy_id
			  AND a.version = c.version AND a.sha256 = c.sha256)
		ORDER BY policy_id`, personID)
	if err != nil {
		return nil, fmt.Errorf("policy: pending for %s: %w", personID, err)
	}
	return collectPolicies(rows)
}

// collectPolicies scans rows of versionColumns and renders each body.
func collectPolicies(rows pgx.Rows) ([]Policy, error) {
	policies, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Policy, error) {
		var p Policy
		err := row.Scan(&p.ID, &p.Version, &p.Title, &p.SHA256, &p.Body, &p.Effective, &p.Required)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("policy: reading versions: %w", err)
	}
	for i := range policies {
		if policies[i].HTML, err = render(policies[i].Body); err != nil {
			return nil, fmt.Errorf("policy %q version %q: %w", policies[i].ID, policies[i].Version, err)
		}
	}
	return policies, nil
}
