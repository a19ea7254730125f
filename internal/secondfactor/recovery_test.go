package secondfactor

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/people/peopletest"
)

// TestRecoveryCodes: each code works once, typed as people type it, only
// for its own person; only keyed hashes are stored; new codes end the old;
// every use and renewal is audited and mailed.
func TestRecoveryCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, clk := newService(t, "https://id.example.coop")
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	bob := peopletest.Admitted(t, pool, "bob@example.coop")
	e, err := s.StartTOTP(ctx, ann)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.ConfirmTOTP(ctx, ann, codeAt(t, e.Secret, clk.t), actor)
	if err != nil {
		t.Fatal(err)
	}
	enrolTOTP(t, s, bob, clk)
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 14 || seen[c] || strings.Trim(c, recoveryAlphabet+"-") != "" {
			t.Errorf("code %q: not 12 characters of the alphabet in three groups, or repeated", c)
		}
		seen[c] = true
		if n := count(t, pool, `SELECT count(*) FROM second_factor_recovery_codes WHERE position(convert_to($1, 'UTF8') in code_hash) > 0`, c); n != 0 {
			t.Errorf("code %q is stored in clear", c)
		}
	}
	mails := mailQueued(t, pool)

	if _, err := s.UseRecoveryCode(ctx, bob, codes[0], actor); !errors.Is(err, ErrWrongCode) {
		t.Errorf("ann's code for bob: %v; want ErrWrongCode", err)
	}
	typed := strings.ToUpper(strings.ReplaceAll(codes[0], "-", " ")) // "4F7K 2M9Q XR3D"
	typed = strings.NewReplacer("0", "O", "1", "l").Replace(typed)
	left, err := s.UseRecoveryCode(ctx, ann, " "+typed+" ", actor)
	if err != nil || left != 9 {
		t.Fatalf("a code as typed: %d left, %v", left, err)
	}
	if _, err := s.UseRecoveryCode(ctx, ann, codes[0], actor); !errors.Is(err, ErrWrongCode) {
		t.Errorf("the same code again: %v; want ErrWrongCode", err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_events WHERE action = 'second_factor.recovery_code_use' AND subject_id = $1 AND after->>'left' = '9'`, ann.ID); n != 1 {
		t.Errorf("%d audit events of the use; want 1", n)
	}
	if got := mailQueued(t, pool); got != mails+1 {
		t.Errorf("mails after a code was used: %d; want %d", got, mails+1)
	}

	fresh, err := s.RegenerateRecoveryCodes(ctx, ann, actor)
	if err != nil || len(fresh) != 10 {
		t.Fatalf("new codes: %d, %v", len(fresh), err)
	}
	if _, err := s.UseRecoveryCode(ctx, ann, codes[1], actor); !errors.Is(err, ErrWrongCode) {
		t.Errorf("an old code after new ones were made: %v", err)
	}
	if _, err := s.UseRecoveryCode(ctx, ann, fresh[1], actor); err != nil {
		t.Errorf("a new code: %v", err)
	}
	if got := mailQueued(t, pool); got != mails+3 {
		t.Errorf("mails: %d; want %d (a use, new codes, a use)", got, mails+3)
	}

	// The codes stand in for a factor: with the last factor they go.
	if err := s.RemoveTOTP(ctx, ann, actor); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Of(ctx, ann.ID); f.Any() || f.RecoveryLeft != 0 {
		t.Errorf("after removing the only factor: %+v", f)
	}
	if _, err := s.RegenerateRecoveryCodes(ctx, ann, actor); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("codes without a factor: %v", err)
	}
}
