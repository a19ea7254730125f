package admission

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/people"
)

// signUpWith is a sign-up whose password hash is hash.
func signUpWith(email, username, hash string) SignUp {
	in := signUp(email, username)
	in.PasswordHash = hash
	return in
}

// requestSignUp asks for a sign-up and returns its id, without working it.
func requestSignUp(t *testing.T, s *Service, in SignUp) string {
	t.Helper()
	id, err := s.RequestSignUp(context.Background(), in, audit.Actor{Label: "anonymous"})
	if err != nil {
		t.Fatalf("sign-up of %s: %v", in.Email, err)
	}
	return id
}

func liveTokens(t *testing.T, pool *pgxpool.Pool, personID, purpose string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM email_tokens
		WHERE person_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()`, personID, purpose).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func personByEmail(t *testing.T, pool *pgxpool.Pool, email string) *people.Person {
	t.Helper()
	p, err := people.ByEmail(context.Background(), pool, email)
	if err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	return p
}

// TestNewerSignUpReplacesOneStillToBeConfirmed: someone signs up with an
// address they cannot read and waits; its owner's own sign-up takes the
// waiting one's place (name, username, password), the earlier link stops
// working, and the owner's link confirms the owner's sign-up.
func TestNewerSignUpReplacesOneStillToBeConfirmed(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	const victim = "vic@example.coop"
	squatter := signUpNow(t, s, signUpWith(victim, "squat", "attackers-hash"))
	attackersLink := verifyToken(t, s, squatter.ID)

	owners := requestSignUp(t, s, signUpWith(victim, "vic", "owners-hash"))
	workQueued(t, s)
	p := personByEmail(t, pool, victim)
	if p.ID != squatter.ID || p.Username != "vic" || p.PasswordHash != "owners-hash" || p.Status != people.SignedUp {
		t.Fatalf("after the owner's sign-up the address's sign-up is %+v; want the owner's details in its place", p)
	}
	if n := liveTokens(t, pool, p.ID, purposeVerify); n != 1 {
		t.Errorf("%d live confirmation links; want only the one mailed for the owner's sign-up", n)
	}
	if _, err := s.VerifyEmail(ctx, attackersLink, Proof{SignedUpAs: squatter.ID}, audit.Actor{}); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("the replaced sign-up's link, in its own browser: %v; want ErrTokenInvalid", err)
	}
	var replaced int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'person.sign_up_replace' AND subject_id = $1`,
		p.ID).Scan(&replaced); err != nil || replaced != 1 {
		t.Errorf("%d audit events of the replacement (%v); want 1", replaced, err)
	}
	v, err := s.VerifyEmail(ctx, verifyToken(t, s, p.ID), Proof{SignedUpAs: owners}, audit.Actor{})
	if err != nil || !v.Confirmed || v.Person.Status != people.Admitted {
		t.Fatalf("the owner's link in the owner's browser: %+v %v", v, err)
	}
	if p := personByEmail(t, pool, victim); p.PasswordHash != "owners-hash" {
		t.Errorf("password hash %q after confirming; want the owner's", p.PasswordHash)
	}
	if _, err := s.RequestSignUp(ctx, signUp("other@example.coop", "squat"), audit.Actor{}); !errors.Is(err, people.ErrUsernameTaken) {
		t.Errorf("the replaced sign-up's username right away: %v; want still held until its hold lapses", err)
	}
}

// TestConfirmingElsewhereChoosesThePassword: a verification link followed
// away from the browser that made its sign-up never keeps the password
// stored: the person chooses one, or nothing is spent.
func TestConfirmingElsewhereChoosesThePassword(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	p := signUpNow(t, s, signUpWith("amy@example.coop", "amy", "whoever-signed-up"))
	token := verifyToken(t, s, p.ID)
	for _, proof := range []Proof{{}, {SignedUpAs: "another-sign-up"}} {
		if _, err := s.VerifyEmail(ctx, token, proof, audit.Actor{}); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("confirming with %+v: %v; want ErrPasswordNeeded", proof, err)
		}
	}
	if !s.TokenUsable(ctx, token, PurposeVerify) {
		t.Fatal("a refused confirmation spent the link")
	}
	link, err := s.CheckVerifyLink(ctx, token, "")
	if err != nil || !link.Usable || !link.NeedsPassword || link.Username != "amy" {
		t.Errorf("CheckVerifyLink away from the sign-up: %+v %v", link, err)
	}
	if link, _ := s.CheckVerifyLink(ctx, token, p.ID); !link.Usable || link.NeedsPassword {
		t.Errorf("CheckVerifyLink in the sign-up's browser: %+v; want usable without a password", link)
	}
	v, err := s.VerifyEmail(ctx, token, Proof{PasswordHash: "chosen-now"}, audit.Actor{})
	if err != nil || !v.Confirmed || v.Person.Status != people.Admitted {
		t.Fatalf("confirming with a password chosen: %+v %v", v, err)
	}
	if got := personByEmail(t, pool, p.Email); got.PasswordHash != "chosen-now" || !got.EmailVerified {
		t.Errorf("after confirming elsewhere: hash %q verified %v; want the password chosen", got.PasswordHash, got.EmailVerified)
	}
}

// TestResetOfAnAddressStillToBeConfirmed: asking for a reset of an address
// whose sign-up waits sends a reset link, and that link confirms the
// sign-up with the password chosen, never the one stored: the red team's
// pre-account hijack (someone else's sign-up, confirmed by the owner
// through "forgot password") keeps nothing of theirs.
func TestResetOfAnAddressStillToBeConfirmed(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	p := signUpNow(t, s, signUpWith("kim@example.coop", "kim", "attackers-hash"))
	if err := s.RequestPasswordReset(ctx, p.Email); err != nil {
		t.Fatal(err)
	}
	workQueued(t, s)
	if n := liveTokens(t, pool, p.ID, purposeReset); n != 1 {
		t.Fatalf("%d reset links for the address still to be confirmed; want 1", n)
	}
	got, err := s.ResetPassword(ctx, issue(t, s, p.ID, purposeReset), "owners-hash", audit.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	got = personByEmail(t, pool, got.Email)
	if got.Status != people.Admitted || !got.EmailVerified || got.PasswordHash != "owners-hash" {
		t.Errorf("after the reset: %+v; want admitted, verified, with the password chosen", got)
	}
	if n := liveTokens(t, pool, p.ID, purposeVerify); n != 0 {
		t.Errorf("%d confirmation links still work after the reset confirmed the sign-up", n)
	}
}

// lapse makes every hold of a sign-up on a username run out, as a day
// without confirming would.
func lapse(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `UPDATE username_claims SET expires_at = now() - interval '1 second'
		WHERE expires_at IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
}

// TestUnconfirmedSignUpsLetTheirUsernamesGo: a username asked for by a
// sign-up never confirmed is free again once the sign-up lapses, whether
// the address was new or registered, so no one can squat names; a name
// that got past sign-up is never reused.
func TestUnconfirmedSignUpsLetTheirUsernamesGo(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	member := signUpNow(t, s, signUp("mem@example.coop", "mem"))
	if _, err := s.VerifyEmail(ctx, verifyToken(t, s, member.ID), Proof{SignedUpAs: member.ID}, audit.Actor{}); err != nil {
		t.Fatal(err)
	}
	pending := signUpNow(t, s, signUp("never@example.coop", "wanted"))
	staleLink := verifyToken(t, s, pending.ID)
	requestSignUp(t, s, signUp(member.Email, "alsowanted")) // a registered address
	workQueued(t, s)
	for _, name := range []string{"mem", "wanted", "alsowanted"} {
		if _, err := s.RequestSignUp(ctx, signUp("someone@example.coop", name), audit.Actor{}); !errors.Is(err, people.ErrUsernameTaken) {
			t.Errorf("%s before any hold lapsed: %v; want taken", name, err)
		}
	}
	lapse(t, pool)
	if _, err := s.RequestSignUp(ctx, signUp("a@example.coop", "mem"), audit.Actor{}); !errors.Is(err, people.ErrUsernameTaken) {
		t.Errorf("an admitted person's username: %v; want taken for good", err)
	}
	if _, err := s.VerifyEmail(ctx, staleLink, Proof{SignedUpAs: pending.ID}, audit.Actor{}); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("confirming a lapsed sign-up: %v; want ErrTokenInvalid", err)
	}
	for i, name := range []string{"wanted", "alsowanted"} {
		email := string(rune('b'+i)) + "@example.coop"
		p := signUpNow(t, s, signUp(email, name))
		if p.Username != name {
			t.Errorf("%s after its hold lapsed went to %q", name, p.Username)
		}
	}
	if old := personByEmail(t, pool, pending.Email); !strings.HasPrefix(old.Username, "~") {
		t.Errorf("the lapsed sign-up's row still has username %q", old.Username)
	}
	got := request(t, pool, func() error {
		if err := s.RequestVerificationLink(ctx, pending.Email); err != nil {
			return err
		}
		workQueued(t, s)
		return nil
	})
	if got != "admission_recovery+1 mail_send+1" {
		t.Errorf("asking for a new link for a lapsed sign-up wrote %q; want no link, one mail saying to sign up again", got)
	}
}

// TestRequestSignUpRefusesWhatNoJobCouldStore: the sign-up a page answers
// "check your email" to is one its job can store; anything else is refused
// before a name is claimed or a job queued (a job that fails at every
// attempt loses the sign-up).
func TestRequestSignUpRefusesWhatNoJobCouldStore(t *testing.T) {
	s, pool := newService(t)
	ctx := context.Background()
	bad := map[string]func(*SignUp){
		"NUL in the name":             func(in *SignUp) { in.Name = "A\x00" },
		"NUL in the note":             func(in *SignUp) { in.Note = "hi\x00" },
		"bad UTF-8 in the number":     func(in *SignUp) { in.MembershipNumber = "\xff" },
		"bad UTF-8 in the user agent": func(in *SignUp) { in.UserAgent = "\xc0\xaf" },
		"a username Mastodon refuses": func(in *SignUp) { in.Username = "a.b" },
		"no email address":            func(in *SignUp) { in.Email = "" },
		"an address with two @ in it": func(in *SignUp) { in.Email = "a@b@example.coop" },
		"no password":                 func(in *SignUp) { in.PasswordHash = "" },
	}
	for name, spoil := range bad {
		t.Run(name, func(t *testing.T) {
			in := signUp("zed@example.coop", "zed")
			spoil(&in)
			got := request(t, pool, func() error {
				_, err := s.RequestSignUp(ctx, in, audit.Actor{})
				if !errors.Is(err, ErrInvalidSignUp) {
					t.Errorf("RequestSignUp: %v; want ErrInvalidSignUp", err)
				}
				return nil
			})
			if got != "" {
				t.Errorf("a refused sign-up wrote %q", got)
			}
		})
	}
}
