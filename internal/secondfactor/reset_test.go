package secondfactor

import (
	"context"
	"errors"
	"testing"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people/peopletest"
)

// TestSecretaryResetsAnothersFactorsNeverTheirOwn: everything goes, in one
// audited change, and the person is mailed; a secretary's own cannot.
func TestSecretaryResetsAnothersFactorsNeverTheirOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, clk := newService(t, "https://id.example.coop")
	sam := peopletest.Admitted(t, pool, "sam@example.coop", "secretary")
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	enrolTOTP(t, s, sam, clk)
	enrolTOTP(t, s, ann, clk)
	mails := mailQueued(t, pool)
	secretary := audit.Actor{PersonID: sam.ID, Label: sam.Email}

	if err := s.Reset(ctx, secretary, sam.ID); !errors.Is(err, ErrOwnFactors) {
		t.Errorf("own reset: %v; want ErrOwnFactors", err)
	}
	if f, _ := s.Of(ctx, sam.ID); !f.TOTP {
		t.Error("the secretary's own factor went")
	}
	if err := s.Reset(ctx, secretary, ann.ID); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Of(ctx, ann.ID); f.Any() || f.RecoveryLeft != 0 {
		t.Errorf("after the reset: %+v", f)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_events WHERE action = 'second_factor.reset' AND subject_id = $1
		AND actor_id = $2 AND before->>'authenticator_apps' = '1' AND before->>'recovery_codes' = '10'`, ann.ID, sam.ID); n != 1 {
		t.Errorf("%d audit events of the reset; want 1", n)
	}
	if got := mailQueued(t, pool); got != mails+1 {
		t.Errorf("mails %d; want %d", got, mails+1)
	}
	if err := s.Reset(ctx, secretary, "0e4b7f0c-1111-4a4a-8a8a-000000000000"); !errors.Is(err, ErrUnknownPerson) {
		t.Errorf("nobody: %v", err)
	}
}

// TestGraceIsOneLogin: the first login without a factor of someone whose
// role needs one may go on, in that session only.
func TestGraceIsOneLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, _ := newService(t, "https://id.example.coop")
	sam := peopletest.Admitted(t, pool, "sam@example.coop", "secretary")
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	if !s.Required(sam) || s.Required(ann) {
		t.Fatal("required: the secretary's role, not a member's")
	}
	first, second := "the first login", "the second login"
	for _, step := range []struct {
		login string
		use   bool
		want  Grace
	}{
		{first, false, GraceUnused}, {first, true, GraceHere}, {second, false, GraceSpent}, {second, true, GraceSpent},
		{first, false, GraceHere}, {"", false, GraceSpent},
	} {
		if step.use {
			used, err := s.UseGrace(ctx, sam, step.login, actor)
			if err != nil || used != (step.login == first) {
				t.Fatalf("UseGrace by %s: %v %v", step.login, used, err)
			}
		}
		if g, err := s.GraceOf(ctx, sam.ID, step.login); err != nil || g != step.want {
			t.Errorf("grace of %q: %d %v; want %d", step.login, g, err, step.want)
		}
	}
}
