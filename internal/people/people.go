// Package people owns the person record: who someone is (email, name,
// username), how they log in (password hash), their roles and where they stand
// (status), the note they left when signing up, and the claims on usernames
// (claims.go: a sign-up holds its name for a day unless it is confirmed; a
// name that got past sign-up is never reused). It does not decide admission
// (internal/admission does) and does not send mail.
//
// Other packages read and change people through its functions. Two kinds of
// statement read the table from outside, both read-only and in one statement
// on purpose: internal/oidc's token statements, which check the person's
// standing (and lock the row) with the token, and this package's own person
// query, which takes the membership class, member-since and paid-until dates
// from the linked entry in register_entries.
//
// It also owns a person's other verified email addresses (person_emails):
// an address belongs to one person only, as their login email or another
// (the database's trigger keeps it so, see emails.go).
package people

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/database"
)

// Status is where a person stands; see the state diagram in DESIGN.md.
type Status string

// The statuses a person moves through.
const (
	SignedUp         Status = "signed_up"
	AwaitingApproval Status = "awaiting_approval"
	Admitted         Status = "admitted"
	Rejected         Status = "rejected"
	Ceased           Status = "ceased"
)

// The roles a person can hold beside being a member.
const (
	// RoleSecretary may use the admin pages.
	RoleSecretary = "secretary"
	// RoleModerator records the co-op's federation decisions and decides
	// members' proposals; a secretary grants it.
	RoleModerator = "moderator"
)

// Person is one login.
type Person struct {
	ID               string // the OIDC sub
	Email            string
	EmailVerified    bool
	Name             string
	Username         string
	PasswordHash     string
	Status           Status
	Roles            []string
	MembershipNumber string
	RegisterEntryID  *int64
	MembershipClass  string     // from the linked register entry
	MemberSince      *time.Time // the linked entry's admitted_on (midnight UTC), if any
	PaidUntil        *time.Time // the linked entry's paid_until (midnight UTC), if any
	CreatedAt        time.Time
	AdmittedAt       *time.Time
	CeasedAt         *time.Time
}

// ErrNotFound is returned when no person matches.
var ErrNotFound = errors.New("person not found")

// IsSecretary reports whether p may use the admin pages.
func (p *Person) IsSecretary() bool { return slices.Contains(p.Roles, RoleSecretary) }

// IsModerator reports whether p holds the moderator role.
func (p *Person) IsModerator() bool { return slices.Contains(p.Roles, RoleModerator) }

// CanModerate reports whether p may record federation decisions: an
// admitted moderator or secretary. Like a secretary's pages, the role does
// not outlive the membership.
func (p *Person) CanModerate() bool {
	return p.Status == Admitted && (p.IsModerator() || p.IsSecretary())
}

// HasAnyRole reports whether p holds one of roles.
func (p *Person) HasAnyRole(roles []string) bool {
	return slices.ContainsFunc(p.Roles, func(r string) bool { return slices.Contains(roles, r) })
}

// Groups are the `groups` claim: "member" for admitted people, their
// membership class, "secretary" and "moderator".
func (p *Person) Groups() []string {
	var g []string
	if p.Status == Admitted {
		g = append(g, "member")
		if p.MembershipClass != "" {
			g = append(g, strings.ToLower(p.MembershipClass))
		}
	}
	if p.IsSecretary() {
		g = append(g, RoleSecretary)
	}
	if p.IsModerator() {
		g = append(g, RoleModerator)
	}
	return g
}

const selectPerson = `
SELECT p.id, p.email, p.email_verified_at IS NOT NULL, p.name, p.username, p.password_hash,
       p.status, p.roles, coalesce(p.membership_number, ''), p.register_entry_id,
       coalesce(r.class, ''), r.admitted_on, r.paid_until, p.created_at, p.admitted_at, p.ceased_at
FROM people p LEFT JOIN register_entries r ON r.id = p.register_entry_id `

func scan(row pgx.Row) (*Person, error) {
	var p Person
	err := row.Scan(&p.ID, &p.Email, &p.EmailVerified, &p.Name, &p.Username, &p.PasswordHash,
		&p.Status, &p.Roles, &p.MembershipNumber, &p.RegisterEntryID,
		&p.MembershipClass, &p.MemberSince, &p.PaidUntil, &p.CreatedAt, &p.AdmittedAt, &p.CeasedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	return &p, nil
}

// ByID finds a person by id (the OIDC sub).
func ByID(ctx context.Context, q database.Querier, id string) (*Person, error) {
	if !looksLikeUUID(id) {
		return nil, ErrNotFound
	}
	return scan(q.QueryRow(ctx, selectPerson+"WHERE p.id = $1", id))
}

// ByIDForUpdate is ByID that locks the row until tx ends, for state changes
// that must not race (two secretaries deciding at once).
func ByIDForUpdate(ctx context.Context, tx pgx.Tx, id string) (*Person, error) {
	if !looksLikeUUID(id) {
		return nil, ErrNotFound
	}
	return scan(tx.QueryRow(ctx, selectPerson+"WHERE p.id = $1 FOR UPDATE OF p", id))
}

// ByEmail finds a person by login email, case-insensitively.
func ByEmail(ctx context.Context, q database.Querier, email string) (*Person, error) {
	return scan(q.QueryRow(ctx, selectPerson+"WHERE p.email = $1", NormalizeEmail(email)))
}

// ByUsername finds a person by username, case-insensitively.
func ByUsername(ctx context.Context, q database.Querier, username string) (*Person, error) {
	return scan(q.QueryRow(ctx, selectPerson+"WHERE p.username = lower($1)", username))
}

// ByIDs finds the people with the given ids, by id; ids of nobody are left out.
func ByIDs(ctx context.Context, q database.Querier, ids []string) (map[string]*Person, error) {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !looksLikeUUID(id) })
	list, err := collect(q.Query(ctx, selectPerson+"WHERE p.id = ANY($1::uuid[])", ids))
	out := make(map[string]*Person, len(list))
	for _, p := range list {
		out[p.ID] = p
	}
	return out, err
}

// Secretaries are the admitted people with the secretary role.
func Secretaries(ctx context.Context, q database.Querier) ([]*Person, error) {
	return WithRole(ctx, q, RoleSecretary)
}

// WithRole lists the admitted people with role, by email.
func WithRole(ctx context.Context, q database.Querier, role string) ([]*Person, error) {
	return collect(q.Query(ctx, selectPerson+"WHERE $1 = ANY(p.roles) AND p.status = 'admitted' ORDER BY p.email", role))
}

// WithStatus lists everyone in one of statuses, by username.
func WithStatus(ctx context.Context, q database.Querier, statuses ...Status) ([]*Person, error) {
	return collect(q.Query(ctx, selectPerson+"WHERE p.status = ANY($1) ORDER BY p.username", statuses))
}

// SignUpNote is what the person told the secretary when signing up.
func SignUpNote(ctx context.Context, q database.Querier, id string) (string, error) {
	var note string
	if err := q.QueryRow(ctx, `SELECT signup_note FROM people WHERE id = $1`, id).Scan(&note); err != nil {
		return "", fmt.Errorf("people: sign-up note: %w", err)
	}
	return note, nil
}

func collect(rows pgx.Rows, err error) ([]*Person, error) {
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	defer rows.Close()
	var out []*Person
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	return out, nil
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func looksLikeUUID(s string) bool { return uuidRE.MatchString(s) }

// NormalizeEmail is the form emails are stored and compared in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// EmailDomain is the part after the last @, lower-cased.
func EmailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}

// LinkedToRegister lists the people linked to a register entry who are in
// one of statuses, by username.
func LinkedToRegister(ctx context.Context, q database.Querier, statuses ...Status) ([]*Person, error) {
	return collect(q.Query(ctx, selectPerson+"WHERE p.register_entry_id IS NOT NULL AND p.status = ANY($1) ORDER BY p.username", statuses))
}

// AdmittedPaidUntilBy lists the admitted people whose linked register
// entry is paid until day or earlier, soonest first.
func AdmittedPaidUntilBy(ctx context.Context, q database.Querier, day time.Time) ([]*Person, error) {
	return collect(q.Query(ctx, selectPerson+"WHERE p.status = 'admitted' AND r.paid_until <= $1::date ORDER BY r.paid_until, p.username", day))
}
