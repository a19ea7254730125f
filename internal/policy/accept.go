package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// ErrUnknownVersion is returned by Accept for a policy version that is not
// stored with the given text: the page the person read is out of date.
var ErrUnknownVersion = errors.New("policy: no stored version with that text")

// Acceptance records that a person accepted one version of a policy.
type Acceptance struct {
	PolicyID   string
	Version    string
	Title      string
	SHA256     string
	AcceptedAt time.Time
	IP         string
	UserAgent  string
}

// Person is someone who has not yet accepted a policy.
type Person struct {
	ID     string
	Email  string
	Name   string
	Status string // people.status: signed_up, awaiting_approval or admitted
}

// Longest user agent kept: enough to tell browsers apart, not a way to fill
// the table.
const maxUserAgent = 512

// Accept records, in tx, that the person accepted each of refs: one row per
// policy, however often a ref is repeated. It takes a transaction so the
// caller can commit the acceptance with what it unlocks (and its audit event).
func Accept(ctx context.Context, tx pgx.Tx, personID string, refs []PolicyRef, ip, userAgent string) error {
	refs, err := distinctRefs(refs)
	if err != nil {
		return err
	}
	ip, userAgent = cleanText(ip, 64), cleanText(userAgent, maxUserAgent)
	for _, r := range refs {
		// Copying from policy_versions checks the text is the stored one.
		tag, err := tx.Exec(ctx, `
			INSERT INTO policy_acceptances (person_id, policy_id, version, sha256, ip, user_agent)
			SELECT $1::uuid, policy_id, version, sha256, $5::text, $6::text FROM policy_versions
			WHERE policy_id = $2 AND version = $3 AND sha256 = $4`,
			personID, r.ID, r.Version, r.SHA256, ip, userAgent)
		if err != nil {
			return fmt.Errorf("policy %q version %q: recording acceptance: %w", r.ID, r.Version, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("policy %q version %q (sha256 %s…): %w", r.ID, r.Version, shortHash(r.SHA256), ErrUnknownVersion)
		}
	}
	return nil
}

// distinctRefs drops repeats (a form submitted twice over) but refuses two
// different versions of one policy, which no page asks for.
func distinctRefs(refs []PolicyRef) ([]PolicyRef, error) {
	byID := make(map[string]PolicyRef, len(refs))
	var out []PolicyRef
	for _, r := range refs {
		prev, seen := byID[r.ID]
		switch {
		case !seen:
			byID[r.ID] = r
			out = append(out, r)
		case prev != r:
			return nil, fmt.Errorf("policy %q: accepting two texts at once (version %q sha256 %s…, version %q sha256 %s…)",
				r.ID, prev.Version, shortHash(prev.SHA256), r.Version, shortHash(r.SHA256))
		}
	}
	return out, nil
}

// cleanText makes request text storable: PostgreSQL text refuses NUL bytes
// and invalid UTF-8, which a User-Agent header may carry.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Accepted returns every acceptance the person has made, the newest first.
func Accepted(ctx context.Context, db database.Querier, personID string) ([]Acceptance, error) {
	rows, err := db.Query(ctx, `
		SELECT a.policy_id, a.version, v.title, a.sha256, a.accepted_at, a.ip, a.user_agent
		FROM policy_acceptances a
		JOIN policy_versions v USING (policy_id, version)
		WHERE a.person_id = $1
		ORDER BY a.accepted_at DESC, a.id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("policy: acceptances of %s: %w", personID, err)
	}
	acceptances, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Acceptance, error) {
		var a Acceptance
		err := row.Scan(&a.PolicyID, &a.Version, &a.Title, &a.SHA256, &a.AcceptedAt, &a.IP, &a.UserAgent)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("policy: acceptances of %s: %w", personID, err)
	}
	return acceptances, nil
}

// AcceptedVersions maps each policy the person has accepted to the version
// they accepted last, as the `terms` claim reports it.
func AcceptedVersions(ctx context.Context, db database.Querier, personID string) (map[string]string, error) {
	rows, err := db.Query(ctx, `
		SELECT DISTINCT ON (policy_id) policy_id, version
		FROM policy_acceptances WHERE person_id = $1
		ORDER BY policy_id, accepted_at DESC, id DESC`, personID)
	if err != nil {
		return nil, fmt.Errorf("policy: accepted versions of %s: %w", personID, err)
	}
	versions := make(map[string]string)
	var id, version string
	_, err = pgx.ForEachRow(rows, []any{&id, &version}, func() error {
		versions[id] = version
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy: accepted versions of %s: %w", personID, err)
	}
	return versions, nil
}

// NotAccepted returns the people who have not accepted the current version
// of a policy, by email, for the secretary to follow up; ErrNotFound if the
// policy has no version in effect. People who were rejected or whose
// membership has ceased are left out: nobody asks them any more.
func NotAccepted(ctx context.Context, db database.Querier, policyID string) ([]Person, error) {
	var version, sum string
	err := db.QueryRow(ctx, `SELECT version, sha256 FROM (`+currentVersions+`) c
		WHERE policy_id = $1`, policyID).Scan(&version, &sum)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("policy %q: no version in effect: %w", policyID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("policy %q: current version: %w", policyID, err)
	}
	accepted, err := acceptedBy(ctx, db, policyID, version, sum)
	if err != nil {
		return nil, err
	}
	asked, err := people.WithStatus(ctx, db, people.SignedUp, people.AwaitingApproval, people.Admitted)
	if err != nil {
		return nil, err
	}
	out := []Person{}
	for _, p := range asked {
		if !accepted[p.ID] {
			out = append(out, Person{ID: p.ID, Email: p.Email, Name: p.Name, Status: string(p.Status)})
		}
	}
	slices.SortFunc(out, func(a, b Person) int { return strings.Compare(a.Email, b.Email) })
	return out, nil
}

// acceptedBy is the set of people who accepted one version of a policy.
func acceptedBy(ctx context.Context, db database.Querier, policyID, version, sum string) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT person_id::text FROM policy_acceptances
		WHERE policy_id = $1 AND version = $2 AND sha256 = $3`, policyID, version, sum)
	if err != nil {
		return nil, fmt.Errorf("policy %q: people who accepted: %w", policyID, err)
	}
	accepted := map[string]bool{}
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { accepted[id] = true; return nil }); err != nil {
		return nil, fmt.Errorf("policy %q: people who accepted: %w", policyID, err)
	}
	return accepted, nil
}
