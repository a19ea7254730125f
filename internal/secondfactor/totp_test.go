package secondfactor

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/people/peopletest"
)

// TestTOTPEnrolment: the secret shown is sealed at rest, the same while the
// page is reloaded, confirmed only by a right code; the first factor comes
// with ten recovery codes, an audit event and a mail.
func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, clk := newService(t, "https://id.example.coop")
	ann := peopletest.Admitted(t, pool, "ann@example.coop")

	e, err := s.StartTOTP(ctx, ann)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret) < 32 || !bytes.HasPrefix(e.QR, []byte("\x89PNG")) ||
		e.URL != "otpauth://totp/Test%20Co-op:ann@example.coop?algorithm=SHA1&digits=6&issuer=Test%20Co-op&period=30&secret="+e.Secret {
		t.Fatalf("enrolment %q %q, QR %d bytes", e.Secret, e.URL, len(e.QR))
	}
	var sealed []byte
	if err := pool.QueryRow(ctx, `SELECT secret_sealed FROM second_factor_totp WHERE person_id = $1`, ann.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(e.Secret)) {
		t.Error("the TOTP secret is stored in clear")
	}
	if again, _ := s.StartTOTP(ctx, ann); again.Secret != e.Secret {
		t.Error("reloading the set-up page showed another secret than the one being scanned")
	}

	if _, err := s.ConfirmTOTP(ctx, ann, "000000", actor); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("a wrong first code: %v", err)
	}
	if f, _ := s.Of(ctx, ann.ID); f.Any() {
		t.Fatal("a wrong first code set the app up")
	}
	codes, err := s.ConfirmTOTP(ctx, ann, codeAt(t, e.Secret, clk.t), actor)
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %d codes, %v", len(codes), err)
	}
	f, _ := s.Of(ctx, ann.ID)
	if !f.TOTP || f.RecoveryLeft != 10 {
		t.Errorf("after confirming: %+v", f)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_events WHERE action = 'second_factor.totp_add' AND subject_id = $1`, ann.ID); n != 1 || mailQueued(t, pool) != 1 {
		t.Errorf("audit events %d, mails %d; want 1 each", n, mailQueued(t, pool))
	}
	if _, err := s.StartTOTP(ctx, ann); !errors.Is(err, ErrAlreadyEnrolled) {
		t.Errorf("a second app: %v", err)
	}
	// The code that confirmed the app was spent by it.
	if err := s.CheckTOTP(ctx, ann, codeAt(t, e.Secret, clk.t)); !errors.Is(err, ErrCodeUsed) {
		t.Errorf("the confirming code again: %v", err)
	}
}

// TestTOTPCodeWorksOnce: within its window a code is refused a second
// time, and so is the code of an earlier step once a later one was used;
// of two logins with one code at once, one gets in.
func TestTOTPCodeWorksOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, clk := newService(t, "https://id.example.coop")
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	secret := enrolTOTP(t, s, ann, clk)

	clk.t = clk.t.Add(2 * totpPeriod)
	now := codeAt(t, secret, clk.t)
	if err := s.CheckTOTP(ctx, ann, now); err != nil {
		t.Fatalf("a fresh code: %v", err)
	}
	if err := s.CheckTOTP(ctx, ann, now); !errors.Is(err, ErrCodeUsed) {
		t.Errorf("the same code again: %v; want ErrCodeUsed", err)
	}
	if err := s.CheckTOTP(ctx, ann, codeAt(t, secret, clk.t.Add(-totpPeriod))); !errors.Is(err, ErrCodeUsed) {
		t.Errorf("the previous step's code after this one's: %v; want ErrCodeUsed", err)
	}
	if err := s.CheckTOTP(ctx, ann, codeAt(t, secret, clk.t.Add(totpPeriod))); err != nil {
		t.Errorf("the next step's code (a phone a little ahead): %v", err)
	}
	if err := s.CheckTOTP(ctx, ann, codeAt(t, secret, clk.t.Add(3*totpPeriod))); !errors.Is(err, ErrWrongCode) {
		t.Errorf("a code from 90 s ahead: %v; want ErrWrongCode", err)
	}

	clk.t = clk.t.Add(5 * totpPeriod)
	race := codeAt(t, secret, clk.t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.CheckTOTP(ctx, ann, race) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrCodeUsed) {
			t.Errorf("racing login: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d of 4 logins at once with one code got in; want 1", ok)
	}
}

// TestWrongCodesAreLimitedPerPerson: after five wrong codes even the right
// one is refused for a while, from anywhere; others are not affected.
func TestWrongCodesAreLimitedPerPerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, clk := newService(t, "https://id.example.coop")
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	bob := peopletest.Admitted(t, pool, "bob@example.coop")
	secret := enrolTOTP(t, s, ann, clk)
	bobs := enrolTOTP(t, s, bob, clk)
	clk.t = clk.t.Add(totpPeriod)

	for i := 0; i < 5; i++ {
		if err := s.CheckTOTP(ctx, ann, "123456"); !errors.Is(err, ErrWrongCode) && !errors.Is(err, ErrCodeUsed) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if err := s.CheckTOTP(ctx, ann, codeAt(t, secret, clk.t)); !errors.Is(err, ErrTooManyTries) {
		t.Errorf("the right code after five wrong ones: %v; want ErrTooManyTries", err)
	}
	if _, err := s.UseRecoveryCode(ctx, ann, "0000-0000-0000", actor); !errors.Is(err, ErrTooManyTries) {
		t.Errorf("a recovery code while locked: %v; want ErrTooManyTries", err)
	}
	if err := s.CheckTOTP(ctx, bob, codeAt(t, bobs, clk.t)); err != nil {
		t.Errorf("another person, meanwhile: %v", err)
	}
	clk.t = clk.t.Add(31 * time.Minute)
	if err := s.CheckTOTP(ctx, ann, codeAt(t, secret, clk.t)); err != nil {
		t.Errorf("half an hour later: %v", err)
	}
}
