package admission

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/register"
)

// Rules that admit someone without the secretary.
const (
	RuleAllowedDomain  = "allowed_domain"
	RuleMemberRegister = "member_register"
)

// Decision is the outcome of the automatic admission check.
type Decision struct {
	Admitted        bool
	Rule            string // which rule admitted them
	RegisterEntryID int64  // set for RuleMemberRegister
	FailedRule      string // why not, in words for the secretary
}

// decide applies the rules to a person whose email is verified, for each
// address they have verified (their login email and any other): an
// allowed domain on any of them admits, as does a register entry holding
// any of them. The domain match is exact and case-insensitive:
// sub.example.coop, evil-example.coop and example.coop.evil.com are not
// example.coop.
func decide(ctx context.Context, tx pgx.Tx, p *people.Person) (Decision, error) {
	emails, err := decidingEmails(ctx, tx, p)
	if err != nil {
		return Decision{}, err
	}
	domains := make([]string, len(emails))
	for i, e := range emails {
		domains[i] = people.EmailDomain(e)
	}
	var allowed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM allowed_domains WHERE domain = ANY($1::text[]))`, domains).Scan(&allowed); err != nil {
		return Decision{}, fmt.Errorf("checking the allow-list: %w", err)
	}
	if allowed {
		return Decision{Admitted: true, Rule: RuleAllowedDomain}, nil
	}
	entry, err := registerMatch(ctx, tx, p, emails)
	if err != nil {
		return Decision{}, err
	}
	if entry != nil {
		return Decision{Admitted: true, Rule: RuleMemberRegister, RegisterEntryID: entry.ID}, nil
	}
	failed := fmt.Sprintf("%s is not an allowed email domain, and no current entry in the member register has this address", people.EmailDomain(p.Email))
	if len(emails) > 1 {
		failed = fmt.Sprintf("none of their %d verified addresses is on an allowed email domain or in a current entry of the member register", len(emails))
	}
	if p.MembershipNumber != "" {
		failed += fmt.Sprintf(" (membership number %q given)", p.MembershipNumber)
	}
	return Decision{FailedRule: failed}, nil
}

// registerMatch finds the active register entry for any of the person's
// verified emails, preferring one that also carries the membership number
// they gave.
func registerMatch(ctx context.Context, tx pgx.Tx, p *people.Person, emails []string) (*register.Entry, error) {
	if p.MembershipNumber != "" {
		e, err := register.FindActiveByAnyEmailAndNumber(ctx, tx, emails, p.MembershipNumber)
		if err == nil {
			return e, nil
		}
		if !errors.Is(err, register.ErrNotFound) {
			return nil, err
		}
	}
	e, err := register.FindActiveByAnyEmail(ctx, tx, emails)
	if errors.Is(err, register.ErrNotFound) {
		return nil, nil
	}
	return e, err
}

// decidingEmails are the addresses a decision looks at: the login email
// (decide runs once it is verified) and every other verified one.
func decidingEmails(ctx context.Context, tx pgx.Tx, p *people.Person) ([]string, error) {
	others, err := people.OtherEmails(ctx, tx, p.ID)
	if err != nil {
		return nil, err
	}
	emails := []string{p.Email}
	for _, o := range others {
		emails = append(emails, o.Email)
	}
	return emails, nil
}
