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

// decide applies the rules to a person whose email is verified. The domain
// match is exact and case-insensitive: sub.example.coop, evil-example.coop
// and example.coop.evil.com are not example.coop.
func decide(ctx context.Context, tx pgx.Tx, p *people.Person) (Decision, error) {
	domain := people.EmailDomain(p.Email)
	var allowed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM allowed_domains WHERE domain = $1)`, domain).Scan(&allowed); err != nil {
		return Decision{}, fmt.Errorf("checking the allow-list: %w", err)
	}
	if allowed {
		return Decision{Admitted: true, Rule: RuleAllowedDomain}, nil
	}
	entry, err := registerMatch(ctx, tx, p)
	if err != nil {
		return Decision{}, err
	}
	if entry != nil {
		return Decision{Admitted: true, Rule: RuleMemberRegister, RegisterEntryID: entry.ID}, nil
	}
	failed := fmt.Sprintf("%s is not an allowed email domain, and no current entry in the member register has this address", domain)
	if p.MembershipNumber != "" {
		failed += fmt.Sprintf(" (membership number %q given)", p.MembershipNumber)
	}
	return Decision{FailedRule: failed}, nil
}

// registerMatch finds the active register entry for the person's verified
// email, preferring one that also carries the membership number they gave.
func registerMatch(ctx context.Context, tx pgx.Tx, p *people.Person) (*register.Entry, error) {
	if p.MembershipNumber != "" {
		e, err := register.FindActiveByEmailAndNumber(ctx, tx, p.Email, p.MembershipNumber)
		if err == nil {
			return e, nil
		}
		if !errors.Is(err, register.ErrNotFound) {
			return nil, err
		}
	}
	e, err := register.FindActiveByEmail(ctx, tx, p.Email)
	if errors.Is(err, register.ErrNotFound) {
		return nil, nil
	}
	return e, err
}
