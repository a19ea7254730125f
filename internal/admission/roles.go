package admission

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// GrantableRoles are the roles a secretary gives and takes away in the
// admin pages. The secretary role itself is given at enrolment only
// (`coopgate users create --role secretary`), so no secretary can make
// another one unseen by the sysadmin.
var GrantableRoles = []string{people.RoleModerator}

// ErrRoleNotGrantable is a role SetRole does not hand out.
var ErrRoleNotGrantable = errors.New("this role cannot be granted here")

// SetRole gives the person role, or takes it away, in one transaction with
// its audit event. An admitted person's accounts on the co-op's services
// are synced again, as the groups they carry there follow their roles. A
// change to what they already have records nothing.
func (s *Service) SetRole(ctx context.Context, personID, role string, granted bool, actor audit.Actor) error {
	if !slices.Contains(GrantableRoles, role) {
		return ErrRoleNotGrantable
	}
	return database.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		p, err := people.ByIDForUpdate(ctx, tx, personID)
		if err != nil {
			return err
		}
		roles := withRole(p.Roles, role, granted)
		if slices.Equal(roles, p.Roles) {
			return nil
		}
		if err := people.SetRoles(ctx, tx, p.ID, roles); err != nil {
			return err
		}
		action := "person.role_grant"
		if !granted {
			action = "person.role_revoke"
		}
		err = audit.Record(ctx, tx, actor, audit.Event{Action: action, SubjectType: "person", SubjectID: p.ID,
			Before: map[string]any{"roles": p.Roles}, After: map[string]any{"roles": roles, "role": role}})
		if err != nil || p.Status != people.Admitted {
			return err
		}
		p.Roles = roles
		return s.Downstream.Admitted(ctx, tx, p)
	})
}

// withRole is roles with role present or absent, in their order.
func withRole(roles []string, role string, present bool) []string {
	out := slices.DeleteFunc(slices.Clone(roles), func(r string) bool { return r == role })
	if present {
		out = append(out, role)
	}
	if out == nil {
		out = []string{}
	}
	return out
}
