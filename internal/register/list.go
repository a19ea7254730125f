package register

import (
	"context"
	"fmt"
	"strings"

	"github.com/coopgate/coopgate/internal/database"
)

// Standing narrows a listing to current or former members.
type Standing string

// The standings a Filter may ask for.
const (
	StandingAny    Standing = ""
	StandingActive Standing = "active"
	StandingCeased Standing = "ceased"
)

// Paging bounds for List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Filter selects a page of the register for the admin pages.
type Filter struct {
	Search   string // part of a name, email or membership number; any case
	Standing Standing
	Limit    int // DefaultPageSize when 0, at most MaxPageSize
	Offset   int
}

// Page is one page of entries and how many entries match in all.
type Page struct {
	Entries []Entry
	Total   int
}

const listCondition = `WHERE ($1 = '' OR name ILIKE $1 OR membership_number ILIKE $1
	OR EXISTS (SELECT 1 FROM unnest(emails) AS e(addr) WHERE addr ILIKE $1))
	AND ($2 = '' OR ($2 = 'active') = ` + activeCondition + `)`

// List returns the entries matching f, ordered by membership number.
func List(ctx context.Context, db database.Querier, f Filter) (Page, error) {
	pattern, standing := searchPattern(f.Search), string(f.Standing)
	if f.Standing != StandingAny && f.Standing != StandingActive && f.Standing != StandingCeased {
		return Page{}, fmt.Errorf("register: list: unknown standing %q", f.Standing)
	}
	var page Page
	err := db.QueryRow(ctx, `SELECT count(*) FROM register_entries `+listCondition, pattern, standing).Scan(&page.Total)
	if err != nil {
		return Page{}, fmt.Errorf("register: list: %w", err)
	}
	limit, offset := pageBounds(f)
	page.Entries, err = queryEntries(ctx, db, selectEntry+listCondition+numberOrder+` LIMIT $3 OFFSET $4`,
		pattern, standing, limit, offset)
	if err != nil {
		return Page{}, fmt.Errorf("register: list: %w", err)
	}
	return page, nil
}

// searchPattern is an ILIKE pattern for "contains s", with s's own % and _
// taken literally; "" for no search.
func searchPattern(s string) string {
	s = singleLine(s)
	if s == "" {
		return ""
	}
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	return "%" + s + "%"
}

func pageBounds(f Filter) (limit, offset int) {
	limit = f.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	return min(limit, MaxPageSize), max(f.Offset, 0)
}

func queryEntries(ctx context.Context, db database.Querier, sql string, args ...any) ([]Entry, error) {
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var entries []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, rows.Err()
}
