package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
)

// ErrNotFound is returned when a policy or version is not stored.
var ErrNotFound = errors.New("policy: not found")

// Sync stores each loaded policy version that is not stored yet. A version
// is what people agree to, so a stored one is never changed: if a file's
// text or front matter differs from the stored version of the same number,
// Sync refuses, and writes nothing at all.
func Sync(ctx context.Context, db *pgxpool.Pool, policies []Policy) error {
	return database.InTx(ctx, db, func(tx pgx.Tx) error {
		for _, p := range policies {
			if err := syncOne(ctx, tx, p); err != nil {
				return err
			}
		}
		return nil
	})
}

func syncOne(ctx context.Context, tx pgx.Tx, p Policy) error {
	// clock_timestamp, not now(): loaded_at breaks ties between versions
	// effective on the same day, so it must follow the order of loading.
	_, err := tx.Exec(ctx, `
		INSERT INTO policy_versions (policy_id, version, title, sha256, body, effective, required, loaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp())
		ON CONFLICT (policy_id, version) DO NOTHING`,
		p.ID, p.Version, p.Title, p.SHA256, p.Body, p.Effective, p.Required)
	if err != nil {
		return fmt.Errorf("policy %q version %q: storing: %w", p.ID, p.Version, err)
	}
	var stored Policy
	err = tx.QueryRow(ctx, `
		SELECT sha256, title, effective, required FROM policy_versions
		WHERE policy_id = $1 AND version = $2`, p.ID, p.Version).
		Scan(&stored.SHA256, &stored.Title, &stored.Effective, &stored.Required)
	if err != nil {
		return fmt.Errorf("policy %q version %q: reading back: %w", p.ID, p.Version, err)
	}
	return sameVersion(stored, p)
}

// sameVersion explains how the file p differs from the stored version, if
// it does.
func sameVersion(stored, p Policy) error {
	if stored.SHA256 != p.SHA256 {
		return fmt.Errorf("policy %q version %q: text changed but version not bumped (stored sha256 %s…, file %s…); give the edit a new version",
			p.ID, p.Version, shortHash(stored.SHA256), shortHash(p.SHA256))
	}
	changed := func(key, was, is string) error {
		return fmt.Errorf("policy %q version %q: %s changed but version not bumped (stored %q, file %q); give the edit a new version",
			p.ID, p.Version, key, was, is)
	}
	switch {
	case stored.Title != p.Title:
		return changed("title", stored.Title, p.Title)
	case !sameDay(stored.Effective, p.Effective):
		return changed("effective", stored.Effective.Format(dateLayout), p.Effective.Format(dateLayout))
	case stored.Required != p.Required:
		return changed("required", fmt.Sprint(stored.Required), fmt.Sprint(p.Required))
	}
	return nil
}

func sameDay(a, b time.Time) bool {
	return a.Format(dateLayout) == b.Format(dateLayout)
}

func shortHash(h string) string {
	return h[:min(len(h), 12)]
}
