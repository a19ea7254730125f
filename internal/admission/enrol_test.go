package admission

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
)

// recordingDownstream remembers whom it was told about, and whether the
// transaction it was told in committed.
type recordingDownstream struct{ admitted []string }

func (d *recordingDownstream) Admitted(ctx context.Context, tx pgx.Tx, p *people.Person) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_events (actor_label, action, subject_type, subject_id) VALUES ('test', 'downstream.admitted', 'person', $1)`, p.ID)
	d.admitted = append(d.admitted, p.Username)
	return err
}
func (d *recordingDownstream) Ceased(context.Context, pgx.Tx, *people.Person) error     { return nil }
func (d *recordingDownstream) Reinstated(context.Context, pgx.Tx, *people.Person) error { return nil }

type countingMetrics struct{ admitted map[string]int }

func (m *countingMetrics) SignUp()              {}
func (m *countingMetrics) Admitted(rule string) { m.admitted[rule]++ }

// TestEnrolAdmitsAuditsCountsAndProvisions: a person made outside the
// sign-up form is admitted with everything that entails, in the same
// transaction: the audit event and the downstream jobs (here, a stand-in
// that writes in the transaction) exist exactly when the person does.
func TestEnrolAdmitsAuditsCountsAndProvisions(t *testing.T) {
	ctx := context.Background()
	down, metrics := &recordingDownstream{}, &countingMetrics{admitted: map[string]int{}}
	s, pool := newServiceWith(t, down, metrics)

	p, err := s.Enrol(ctx, Enrolment{Email: "Ann@Example.coop", Name: "Ann", Username: "ann", PasswordHash: "h",
		Roles: []string{people.RoleSecretary}}, audit.Actor{Label: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != people.Admitted || !p.EmailVerified || !p.IsSecretary() || p.Email != "ann@example.coop" {
		t.Errorf("enrolled %+v", p)
	}
	var enrolled, told int
	err = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'person.enrol' AND actor_label = 'cli'),
		count(*) FILTER (WHERE action = 'downstream.admitted') FROM audit_events WHERE subject_id = $1`, p.ID).Scan(&enrolled, &told)
	if err != nil || enrolled != 1 || told != 1 || metrics.admitted[RuleEnrolled] != 1 {
		t.Errorf("audit %d, downstream %d, counted %d (%v); want 1 each", enrolled, told, metrics.admitted[RuleEnrolled], err)
	}

	for _, tt := range []struct {
		username string
		want     error
	}{
		{"ann", people.ErrUsernameTaken},
		{"Bad Name", ErrUsernameFormat},
		{"webmaster", ErrUsernameReserved},
	} {
		if _, err := s.Enrol(ctx, Enrolment{Email: tt.username + "@x.example", Name: "X", Username: tt.username, PasswordHash: "h"},
			audit.Actor{Label: "cli"}); !errors.Is(err, tt.want) {
			t.Errorf("%q: %v; want %v", tt.username, err, tt.want)
		}
	}
	if len(down.admitted) != 1 || metrics.admitted[RuleEnrolled] != 1 {
		t.Errorf("refused enrolments reached downstream %v or the metric %v", down.admitted, metrics.admitted)
	}
}
