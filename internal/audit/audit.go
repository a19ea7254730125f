// Package audit writes the append-only audit log: every admin action and
// every change of a person's standing, in the same transaction as the change.
// It must never record secrets (passwords, tokens, codes).
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// Actor is who did something: a person, or the system / a CLI command.
type Actor struct {
	PersonID  string // empty for the system
	Label     string // e.g. the secretary's email, "system", "cli"
	IP        string
	RequestID string
}

// System is the actor for what coopgate does by itself.
var System = Actor{Label: "system"}

// Event is one line of the audit log.
type Event struct {
	Action      string // e.g. "application.approve", "person.cease"
	SubjectType string // e.g. "person", "allowed_domain"
	SubjectID   string
	Before      any // marshalled to JSON; nil for none
	After       any
}

// Record appends e done by actor, within q (the transaction of the change).
func Record(ctx context.Context, q database.Querier, actor Actor, e Event) error {
	before, err := jsonOrNil(e.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNil(e.After)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `
		INSERT INTO audit_events (actor_id, actor_label, action, subject_type, subject_id, before, after, ip, request_id)
		VALUES (nullif($1, '')::uuid, $2, $3, $4, $5, $6, $7, $8, $9)`,
		actor.PersonID, actor.Label, e.Action, e.SubjectType, e.SubjectID, before, after, actor.IP, actor.RequestID)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// FormerValues lists the values a subject's field had before each event of
// action, oldest first: for example every email a person had before an
// email change, which the downstream clients take as still theirs.
func FormerValues(ctx context.Context, q database.Querier, action, subjectID, field string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT before->>$3 FROM audit_events
		WHERE action = $1 AND subject_id = $2 AND before ? $3 ORDER BY id`, action, subjectID, field)
	if err != nil {
		return nil, fmt.Errorf("audit: former values: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("audit: former values: %w", err)
	}
	return out, nil
}

// Happened reports whether an event of action about subjectID was ever recorded.
func Happened(ctx context.Context, q database.Querier, action, subjectID string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM audit_events WHERE action = $1 AND subject_id = $2)`,
		action, subjectID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("audit: %w", err)
	}
	return ok, nil
}

func jsonOrNil(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return b, nil
}

// Entry is a recorded event, for the admin page.
type Entry struct {
	ID          int64
	At          time.Time
	ActorID     string
	ActorLabel  string
	Action      string
	SubjectType string
	SubjectID   string
	Before      string
	After       string
	IP          string
}

// Filter narrows the audit log listing; empty fields match everything.
type Filter struct {
	Action    string // prefix, e.g. "application."
	ActorID   string
	SubjectID string
	Before    int64 // id to page back from; 0 for the newest
	Limit     int
}

// List returns events newest first.
func List(ctx context.Context, q database.Querier, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := q.Query(ctx, `
		SELECT id, at, coalesce(actor_id::text, ''), actor_label, action, subject_type, subject_id,
		       coalesce(before::text, ''), coalesce(after::text, ''), ip
		FROM audit_events
		WHERE ($1 = '' OR action LIKE $1 || '%') AND ($2 = '' OR actor_id::text = $2)
		  AND ($3 = '' OR subject_id = $3) AND ($4::bigint = 0 OR id < $4::bigint)
		ORDER BY id DESC LIMIT $5`, f.Action, f.ActorID, f.SubjectID, f.Before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.ActorLabel, &e.Action, &e.SubjectType, &e.SubjectID, &e.Before, &e.After, &e.IP); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
