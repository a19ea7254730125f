package admission

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/pgtest"
)

// inRolledBackTx runs fn in a transaction that is thrown away afterwards.
func inRolledBackTx(t *testing.T, pool *pgxpool.Pool, fn func(tx pgx.Tx)) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	fn(tx)
}

// createPerson makes a person in tx; each case has a transaction of its own,
// so the username never clashes.
func createPerson(t *testing.T, tx pgx.Tx, email, number string) *people.Person {
	t.Helper()
	p, err := people.Create(context.Background(), tx, people.New{Email: email, Name: "Test Person", Username: "person",
		PasswordHash: "x", Status: people.SignedUp, MembershipNumber: number})
	if err != nil {
		t.Fatalf("creating %s: %v", email, err)
	}
	return p
}

func TestDecideMatchesTheDomainExactly(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO allowed_domains (domain) VALUES ('example.coop')`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		email string
		admit bool
	}{
		{"ann@example.coop", true},
		{"Ann@EXAMPLE.Coop", true},
		{"ann@sub.example.coop", false},
		{"ann@evil-example.coop", false},
		{"ann@example.coop.evil.com", false},
		{"ann@examplecoop", false},
		{"ann@example.coop.", false},
		{"example.coop@evil.com", false},
		{`"ann@example.coop"@evil.com`, false},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			inRolledBackTx(t, pool, func(tx pgx.Tx) {
				d, err := decide(ctx, tx, createPerson(t, tx, tt.email, ""))
				if err != nil {
					t.Fatal(err)
				}
				if d.Admitted != tt.admit {
					t.Fatalf("admitted = %v, want %v (%+v)", d.Admitted, tt.admit, d)
				}
				if tt.admit && d.Rule != RuleAllowedDomain {
					t.Errorf("rule %q, want %q", d.Rule, RuleAllowedDomain)
				}
				if !tt.admit && !strings.Contains(d.FailedRule, people.EmailDomain(strings.ToLower(tt.email))) {
					t.Errorf("the secretary is not told which domain failed: %q", d.FailedRule)
				}
			})
		})
	}
}

func TestDecideByMemberRegister(t *testing.T) {
	pool := pgtest.New(t)
	ctx := context.Background()
	entry := func(number, email, ceased string) int64 {
		var id int64
		err := pool.QueryRow(ctx, `INSERT INTO register_entries (membership_number, name, emails, admitted_on, ceased_on)
			VALUES ($1, 'Member', ARRAY[$2::text], '2020-01-01', nullif($3, '')::date) RETURNING id`, number, email, ceased).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := entry("M-1", "two@elsewhere.org", "")
	second := entry("M-2", "two@elsewhere.org", "")
	entry("M-3", "gone@elsewhere.org", "2021-06-30")
	entry("M-4", "later@elsewhere.org", "2999-01-01")

	tests := []struct {
		name, email, number string
		want                int64 // the entry admitted through; 0: not admitted
	}{
		{"email alone", "two@elsewhere.org", "", first},
		{"email and the number given", "TWO@elsewhere.org", "m-2", second},
		{"a wrong number still matches by email", "two@elsewhere.org", "M-99", first},
		{"a ceased member", "gone@elsewhere.org", "M-3", 0},
		{"ceasing in the future is still a member", "later@elsewhere.org", "", -1},
		{"the number without the email", "stranger@elsewhere.org", "M-1", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inRolledBackTx(t, pool, func(tx pgx.Tx) {
				d, err := decide(ctx, tx, createPerson(t, tx, tt.email, tt.number))
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tt.want == 0 && d.Admitted:
					t.Fatalf("admitted through entry %d", d.RegisterEntryID)
				case tt.want != 0 && (!d.Admitted || d.Rule != RuleMemberRegister):
					t.Fatalf("not admitted by the register: %+v", d)
				case tt.want > 0 && d.RegisterEntryID != tt.want:
					t.Errorf("entry %d, want %d", d.RegisterEntryID, tt.want)
				}
				if tt.want == 0 && tt.number != "" && !strings.Contains(d.FailedRule, tt.number) {
					t.Errorf("the secretary is not told the number given: %q", d.FailedRule)
				}
			})
		})
	}
}
