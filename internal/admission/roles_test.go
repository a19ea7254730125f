package admission

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
)

// TestSetRole: a secretary makes a member a moderator and takes it back;
// each change is audited with the roles before and after, and the services
// are told (their groups follow the roles); the groups claim says so too.
func TestSetRole(t *testing.T) {
	ctx := context.Background()
	down := &recordingDownstream{}
	s, pool := newServiceWith(t, down, &countingMetrics{admitted: map[string]int{}})
	p, err := s.Enrol(ctx, Enrolment{Email: "mo@example.coop", Name: "Mo", Username: "mo", PasswordHash: "h"}, audit.Actor{Label: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	sec := audit.Actor{Label: "sec@example.coop"}

	if err := s.SetRole(ctx, p.ID, people.RoleModerator, true, sec); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, p.ID, people.RoleModerator, true, sec); err != nil { // already: nothing more
		t.Fatal(err)
	}
	got, _ := people.ByID(ctx, pool, p.ID)
	if !got.IsModerator() || !got.CanModerate() || !slices.Contains(got.Groups(), "moderator") {
		t.Errorf("after the grant: roles %v, groups %v", got.Roles, got.Groups())
	}
	if err := s.SetRole(ctx, p.ID, people.RoleModerator, false, sec); err != nil {
		t.Fatal(err)
	}
	if got, _ := people.ByID(ctx, pool, p.ID); got.IsModerator() || slices.Contains(got.Groups(), "moderator") {
		t.Errorf("after the revocation: roles %v", got.Roles)
	}
	var grants, revokes int
	err = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'person.role_grant' AND after->'roles' ? 'moderator'),
		count(*) FILTER (WHERE action = 'person.role_revoke' AND before->'roles' ? 'moderator')
		FROM audit_events WHERE subject_id = $1 AND actor_label = 'sec@example.coop'`, p.ID).Scan(&grants, &revokes)
	if err != nil || grants != 1 || revokes != 1 {
		t.Errorf("%d grants, %d revocations audited (%v)", grants, revokes, err)
	}
	if len(down.admitted) != 3 { // the enrolment, the grant, the revocation
		t.Errorf("services told %d times", len(down.admitted))
	}
	if err := s.SetRole(ctx, p.ID, people.RoleSecretary, true, sec); !errors.Is(err, ErrRoleNotGrantable) {
		t.Errorf("granting secretary: %v", err)
	}
}

// TestModeratorRoleEndsWithMembership: a former member keeps the role in
// the record but may not moderate.
func TestModeratorRoleEndsWithMembership(t *testing.T) {
	p := &people.Person{Status: people.Ceased, Roles: []string{people.RoleModerator}}
	if p.CanModerate() {
		t.Error("a former member may moderate")
	}
	p.Status = people.Admitted
	if !p.CanModerate() {
		t.Error("an admitted moderator may not moderate")
	}
}
