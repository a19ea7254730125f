package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// selectEntry reads amount_paid as pence so no float ever holds money.
const selectEntry = `SELECT id, membership_number, name, postal_address, emails, class, shares_held,
	(amount_paid * 100)::bigint, admitted_on, ceased_on, ceased_reason, dues_status, paid_until, source,
	created_at, updated_at
FROM register_entries `

// activeCondition is true while an entry is a member: its ceased_on, if any,
// is still to come. current_date is the database session's date.
const activeCondition = `(ceased_on IS NULL OR ceased_on > current_date)`

// numberOrder puts "9" before "10": shorter numbers first, then by text.
const numberOrder = ` ORDER BY length(membership_number), membership_number, id`

func scanEntry(row pgx.Row) (Entry, error) {
	var e Entry
	var dues string
	err := row.Scan(&e.ID, &e.MembershipNumber, &e.Name, &e.PostalAddress, &e.Emails, &e.Class,
		&e.SharesHeld, &e.AmountPaidPence, &e.AdmittedOn, &e.CeasedOn, &e.CeasedReason, &dues,
		&e.PaidUntil, &e.Source, &e.CreatedAt, &e.UpdatedAt)
	if err != nil {
		return Entry{}, err
	}
	e.DuesStatus = DuesStatus(dues)
	if len(e.Emails) == 0 {
		e.Emails = nil // one form for "no emails", as normalise gives
	}
	return e, nil
}

// queryOne runs a query for at most one entry; ErrNotFound when none.
func queryOne(ctx context.Context, db database.Querier, what, sql string, args ...any) (*Entry, error) {
	e, err := scanEntry(db.QueryRow(ctx, sql, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("register: %s: %w", what, err)
	}
	return &e, nil
}

// Get returns the entry with id, or ErrNotFound.
func Get(ctx context.Context, db database.Querier, id int64) (*Entry, error) {
	return queryOne(ctx, db, "get", selectEntry+`WHERE id = $1`, id)
}

// GetByNumber returns the entry with membership number exactly number, or
// ErrNotFound.
func GetByNumber(ctx context.Context, db database.Querier, number string) (*Entry, error) {
	return queryOne(ctx, db, "get by number", selectEntry+`WHERE membership_number = $1`, singleLine(number))
}

// FindActiveByEmail returns the active entry one of whose emails is email,
// compared case-insensitively, or ErrNotFound. When several match (one person
// holding two memberships), the earliest admitted wins, so the answer is
// stable.
func FindActiveByEmail(ctx context.Context, db database.Querier, email string) (*Entry, error) {
	return FindActiveByAnyEmail(ctx, db, []string{email})
}

// FindActiveByAnyEmail is FindActiveByEmail for a person with several
// verified addresses: the earliest admitted active entry holding any of them.
func FindActiveByAnyEmail(ctx context.Context, db database.Querier, emails []string) (*Entry, error) {
	emails = lowerEmails(emails)
	if len(emails) == 0 {
		return nil, ErrNotFound
	}
	return queryOne(ctx, db, "find by email", selectEntry+`WHERE emails && $1::text[] AND `+
		activeCondition+` ORDER BY admitted_on NULLS LAST, id LIMIT 1`, emails)
}

// FindActiveByEmailAndNumber is FindActiveByEmail restricted to the entry
// with the membership number a person gave, compared case-insensitively
// because people retype it from a letter.
func FindActiveByEmailAndNumber(ctx context.Context, db database.Querier, email, number string) (*Entry, error) {
	return FindActiveByAnyEmailAndNumber(ctx, db, []string{email}, number)
}

// FindActiveByAnyEmailAndNumber is FindActiveByAnyEmail restricted to the
// entry with the membership number a person gave.
func FindActiveByAnyEmailAndNumber(ctx context.Context, db database.Querier, emails []string, number string) (*Entry, error) {
	emails, number = lowerEmails(emails), singleLine(number)
	if len(emails) == 0 || number == "" {
		return nil, ErrNotFound
	}
	return queryOne(ctx, db, "find by email and number", selectEntry+`WHERE emails && $1::text[]
		AND lower(membership_number) = lower($2) AND `+activeCondition+
		` ORDER BY admitted_on NULLS LAST, id LIMIT 1`, emails, number)
}

// lowerEmails is emails trimmed and lower-cased, as the register stores
// them, without empty ones.
func lowerEmails(emails []string) []string {
	out := make([]string, 0, len(emails))
	for _, e := range emails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// ByIDs returns the entries with the given ids, by id; unknown ids are left
// out.
func ByIDs(ctx context.Context, db database.Querier, ids []int64) (map[int64]Entry, error) {
	entries, err := queryEntries(ctx, db, selectEntry+`WHERE id = ANY($1::bigint[])`, ids)
	if err != nil {
		return nil, fmt.Errorf("register: by ids: %w", err)
	}
	out := make(map[int64]Entry, len(entries))
	for _, e := range entries {
		out[e.ID] = e
	}
	return out, nil
}

// SetPaidUntil records a new paid-until date on entry id (the secretary
// extending a member's dues) and returns the entry as it was; ErrNotFound
// for an unknown id. The caller audits it in the same transaction.
func SetPaidUntil(ctx context.Context, tx pgx.Tx, id int64, paidUntil time.Time) (*Entry, error) {
	before, err := queryOne(ctx, tx, "set paid until", selectEntry+`WHERE id = $1 FOR UPDATE`, id)
	if err != nil {
		return nil, err
	}
	day := dateOf(paidUntil)
	if day.Year() < minYear || day.Year() > maxYear {
		return nil, &InvalidEntryError{Problems: []FieldError{{"paid_until", "year must be from 1800 to 9999"}}}
	}
	if _, err := tx.Exec(ctx, `UPDATE register_entries SET paid_until = $2, updated_at = now()
		WHERE id = $1 AND paid_until IS DISTINCT FROM $2`, id, day); err != nil {
		return nil, fmt.Errorf("register: set paid until: %w", err)
	}
	return before, nil
}

// ExportCSV writes the whole register, former members included, in our CSV
// format, ordered by membership number.
func ExportCSV(ctx context.Context, db database.Querier, w io.Writer) error {
	rows, err := db.Query(ctx, selectEntry+numberOrder)
	if err != nil {
		return fmt.Errorf("register: export: %w", err)
	}
	defer rows.Close()
	x := newCSVExporter(w)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return fmt.Errorf("register: export: %w", err)
		}
		x.entry(e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("register: export: %w", err)
	}
	return x.close()
}

// NormaliseNumber is a membership number as the register stores it.
func NormaliseNumber(number string) string { return singleLine(number) }
