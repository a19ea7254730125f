package register

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// selectEntry reads amount_paid as pence so no float ever holds money.
const selectEntry = `SELECT id, membership_number, name, postal_address, emails, class, shares_held,
	(amount_paid * 100)::bigint, admitted_on, ceased_on, ceased_reason, dues_status, source,
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
		&e.Source, &e.CreatedAt, &e.UpdatedAt)
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
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, ErrNotFound
	}
	return queryOne(ctx, db, "find by email", selectEntry+`WHERE emails @> ARRAY[$1::text] AND `+
		activeCondition+` ORDER BY admitted_on NULLS LAST, id LIMIT 1`, email)
}

// FindActiveByEmailAndNumber is FindActiveByEmail restricted to the entry
// with the membership number a person gave, compared case-insensitively
// because people retype it from a letter.
func FindActiveByEmailAndNumber(ctx context.Context, db database.Querier, email, number string) (*Entry, error) {
	email, number = strings.ToLower(strings.TrimSpace(email)), singleLine(number)
	if email == "" || number == "" {
		return nil, ErrNotFound
	}
	return queryOne(ctx, db, "find by email and number", selectEntry+`WHERE emails @> ARRAY[$1::text]
		AND lower(membership_number) = lower($2) AND `+activeCondition+
		` ORDER BY admitted_on NULLS LAST, id LIMIT 1`, email, number)
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
