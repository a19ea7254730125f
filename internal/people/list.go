package people

import (
	"context"
	"fmt"
	"strings"

	"github.com/coopgate/coopgate/internal/database"
)

// Paging bounds for List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Filter selects a page of people for the secretary's list.
type Filter struct {
	Status Status // "" for every status
	Role   string // "" for any role
	Search string // part of a name, any of their emails or username; any case
	Limit  int    // DefaultPageSize when 0, at most MaxPageSize
	Offset int
}

// Page is one page of people and how many match in all.
type Page struct {
	People []Person
	Total  int
}

const listCondition = `WHERE ($1 = '' OR p.status = $1)
	AND ($2 = '' OR $2 = ANY(p.roles))
	AND ($3 = '' OR p.name ILIKE $3 OR p.email ILIKE $3 OR p.username ILIKE $3
	     OR EXISTS (SELECT 1 FROM person_emails o WHERE o.person_id = p.id AND o.email ILIKE $3)) `

// List returns the people matching f, newest first.
func List(ctx context.Context, q database.Querier, f Filter) (Page, error) {
	pattern := containsPattern(f.Search)
	var pg Page
	err := q.QueryRow(ctx, `SELECT count(*) FROM people p `+listCondition, string(f.Status), f.Role, pattern).Scan(&pg.Total)
	if err != nil {
		return Page{}, fmt.Errorf("people: list: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	list, err := collect(q.Query(ctx, selectPerson+listCondition+`ORDER BY p.created_at DESC, p.id LIMIT $4 OFFSET $5`,
		string(f.Status), f.Role, pattern, min(limit, MaxPageSize), max(f.Offset, 0)))
	if err != nil {
		return Page{}, fmt.Errorf("people: list: %w", err)
	}
	for _, p := range list {
		pg.People = append(pg.People, *p)
	}
	return pg, nil
}

// containsPattern is an ILIKE pattern for "contains s", with s's own % and _
// taken literally; "" for no search.
func containsPattern(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// CountByStatus counts people in each status, for the secretary's dashboard.
// A status nobody is in is missing from the map (reads as 0).
func CountByStatus(ctx context.Context, q database.Querier) (map[Status]int, error) {
	rows, err := q.Query(ctx, `SELECT status, count(*) FROM people GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("people: counting: %w", err)
	}
	defer rows.Close()
	counts := map[Status]int{}
	for rows.Next() {
		var s Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("people: counting: %w", err)
		}
		counts[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("people: counting: %w", err)
	}
	return counts, nil
}

// Statuses lists every status in the order a person moves through them.
func Statuses() []Status {
	return []Status{SignedUp, AwaitingApproval, Admitted, Rejected, Ceased}
}
