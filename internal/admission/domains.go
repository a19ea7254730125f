package admission

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// AllowedDomain is one entry of the allow-list.
type AllowedDomain struct {
	Domain  string
	AddedBy string // email of the secretary, or "" when seeded from config
	AddedAt time.Time
	Reason  string
}

// AllowedDomains lists the allow-list.
func AllowedDomains(ctx context.Context, db database.Querier) ([]AllowedDomain, error) {
	rows, err := db.Query(ctx, `SELECT domain, coalesce(added_by::text, ''), added_at, reason FROM allowed_domains ORDER BY domain`)
	if err != nil {
		return nil, fmt.Errorf("allowed domains: %w", err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AllowedDomain])
	if err != nil {
		return nil, fmt.Errorf("allowed domains: %w", err)
	}
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.AddedBy
	}
	who, err := people.ByIDs(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].AddedBy = ""
		if p := who[ids[i]]; p != nil {
			list[i].AddedBy = p.Email
		}
	}
	return list, nil
}

// SeedDomains adds domains to the allow-list, each unless the secretary
// removed it once: after the first start the secretary's edits are the
// truth, and a removed domain is not added back at the next.
func SeedDomains(ctx context.Context, pool *pgxpool.Pool, domains []string) error {
	return database.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, d := range domains {
			d = strings.ToLower(d)
			removed, err := audit.Happened(ctx, tx, "allowed_domain.remove", d)
			if err != nil {
				return err
			}
			if removed {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO allowed_domains (domain, reason) VALUES ($1, 'from the configuration file')
				ON CONFLICT (domain) DO NOTHING`, d); err != nil {
				return fmt.Errorf("seeding allowed domains: %w", err)
			}
		}
		return nil
	})
}

var domainPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)

// ErrBadDomain is a domain that is not a plain host name.
var ErrBadDomain = errors.New("enter a domain such as example.coop (no @, no spaces)")

// NormalizeDomain lower-cases and checks a domain for the allow-list.
func NormalizeDomain(d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	if !domainPattern.MatchString(d) {
		return "", ErrBadDomain
	}
	return d, nil
}

// AddDomain puts a domain on the allow-list. It admits no one already
// waiting: the secretary decides those applications.
func (s *Service) AddDomain(ctx context.Context, domain, reason string, actor audit.Actor) error {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO allowed_domains (domain, added_by, reason) VALUES ($1, nullif($2, '')::uuid, $3)
			ON CONFLICT (domain) DO NOTHING`, d, actor.PersonID, strings.TrimSpace(reason))
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "allowed_domain.add", SubjectType: "allowed_domain", SubjectID: d,
			After: map[string]any{"reason": reason}})
	})
}

// RemoveDomain takes a domain off the allow-list. People already admitted
// through it stay admitted.
func (s *Service) RemoveDomain(ctx context.Context, domain string, actor audit.Actor) error {
	d := strings.ToLower(strings.TrimSpace(domain))
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM allowed_domains WHERE domain = $1`, d)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: "allowed_domain.remove", SubjectType: "allowed_domain", SubjectID: d})
	})
}
