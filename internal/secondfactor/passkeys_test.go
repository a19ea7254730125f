package secondfactor

import (
	"context"
	"errors"
	"testing"

	"github.com/coopgate/coopgate/internal/people/peopletest"
	"github.com/coopgate/coopgate/internal/secondfactor/passkeytest"
)

const localhost = "http://localhost:8080"

// TestPasskeys: a passkey is added with the session's ceremony, logs its
// person in without an email (and as their second factor), once per
// challenge; someone else's passkey is no second factor; a copy whose
// counter went back is refused.
func TestPasskeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, _ := newService(t, localhost)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	bob := peopletest.Admitted(t, pool, "bob@example.coop")
	phone := passkeytest.New(localhost)

	options, err := s.BeginPasskey(ctx, "ann-laptop", ann)
	if err != nil {
		t.Fatal(err)
	}
	answer := passkeytest.New(localhost).Create(t, options) // a device whose passkey is never added
	if _, _, err := s.FinishPasskey(ctx, "bobs-browser", ann, "Phone", answer, actor); !errors.Is(err, ErrNoCeremony) {
		t.Errorf("finished from another session: %v", err)
	}
	if _, _, err := s.FinishPasskey(ctx, "ann-laptop", bob, "Phone", answer, actor); !errors.Is(err, ErrNoCeremony) {
		t.Errorf("finished for another person: %v", err)
	}
	options, _ = s.BeginPasskey(ctx, "ann-laptop", ann)
	added, codes, err := s.FinishPasskey(ctx, "ann-laptop", ann, "Phone", phone.Create(t, options), actor)
	if err != nil || len(codes) != 10 || added.Name != "Phone" || added.Method() != "hwk" {
		t.Fatalf("added %+v, %d codes, %v", added, len(codes), err)
	}
	if n := count(t, pool, `SELECT count(*) FROM audit_events WHERE action = 'second_factor.passkey_add' AND subject_id = $1`, ann.ID); n != 1 || mailQueued(t, pool) != 1 {
		t.Errorf("audit %d, mail %d; want 1 each", n, mailQueued(t, pool))
	}

	// In place of a password: the passkey names its person.
	options, err = s.BeginPasskeyLogin(ctx, "a-kiosk", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertion := phone.Get(t, options)
	who, used, err := s.FinishPasskeyLogin(ctx, "a-kiosk", nil, assertion)
	if err != nil || who.ID != ann.ID || used.ID != added.ID || used.LastUsedAt == nil {
		t.Fatalf("passkey login: %v %+v %v", who, used, err)
	}
	if _, _, err := s.FinishPasskeyLogin(ctx, "a-kiosk", nil, assertion); !errors.Is(err, ErrNoCeremony) {
		t.Errorf("the same answer again: %v; want ErrNoCeremony", err)
	}

	// As a second factor: ann's passkey for ann, not for bob.
	if _, err := s.BeginPasskeyLogin(ctx, "bobs-browser", bob); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("bob, who has no passkey: %v", err)
	}
	options, _ = s.BeginPasskeyLogin(ctx, "ann-laptop", ann)
	if _, _, err := s.FinishPasskeyLogin(ctx, "ann-laptop", bob, phone.Get(t, options)); !errors.Is(err, ErrNoCeremony) {
		t.Errorf("ann's ceremony finished as bob's second factor: %v", err)
	}
	options, _ = s.BeginPasskeyLogin(ctx, "ann-laptop", ann)
	if _, _, err := s.FinishPasskeyLogin(ctx, "ann-laptop", ann, phone.Get(t, options)); err != nil {
		t.Errorf("ann's second factor: %v", err)
	}

	// A copy of the passkey, one signature behind, is refused.
	if _, err := pool.Exec(ctx, `UPDATE second_factor_passkeys SET credential = jsonb_set(credential, '{authenticator,signCount}', '100')`); err != nil {
		t.Fatal(err)
	}
	options, _ = s.BeginPasskeyLogin(ctx, "a-kiosk", nil)
	if _, _, err := s.FinishPasskeyLogin(ctx, "a-kiosk", nil, phone.Get(t, options)); !errors.Is(err, ErrPasskeyFailed) {
		t.Errorf("a cloned passkey: %v; want ErrPasskeyFailed", err)
	}

	if err := s.RemovePasskey(ctx, bob, added.ID, actor); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("bob removed ann's passkey: %v", err)
	}
	if err := s.RemovePasskey(ctx, ann, added.ID, actor); err != nil {
		t.Fatal(err)
	}
	options, _ = s.BeginPasskeyLogin(ctx, "a-kiosk", nil)
	if _, _, err := s.FinishPasskeyLogin(ctx, "a-kiosk", nil, phone.Get(t, options)); !errors.Is(err, ErrPasskeyFailed) {
		t.Errorf("a removed passkey: %v", err)
	}
}

// TestSyncedPasskeysAreSoftwareKeys: a passkey its manager copies between
// devices is "swk" in amr, one bound to its device "hwk".
func TestSyncedPasskeysAreSoftwareKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, _ := newService(t, localhost)
	ann := peopletest.Admitted(t, pool, "ann@example.coop")
	manager := passkeytest.New(localhost)
	manager.Synced = true
	options, _ := s.BeginPasskey(ctx, "h", ann)
	added, _, err := s.FinishPasskey(ctx, "h", ann, "Password manager", manager.Create(t, options), actor)
	if err != nil || added.Method() != "swk" {
		t.Fatalf("%+v %v", added, err)
	}
	options, _ = s.BeginPasskeyLogin(ctx, "h", nil)
	if _, used, err := s.FinishPasskeyLogin(ctx, "h", nil, manager.Get(t, options)); err != nil || used.Method() != "swk" {
		t.Errorf("%+v %v", used, err)
	}
}

// TestPasskeysNeedADomainName: WebAuthn refuses an IP address as the
// relying party ID, so on such an issuer passkeys are off and the rest works.
func TestPasskeysNeedADomainName(t *testing.T) {
	t.Parallel()
	s, pool, _ := newService(t, "http://127.0.0.1:8080")
	if s.PasskeysOn() {
		t.Error("passkeys on for an IP address")
	}
	if _, err := s.BeginPasskey(context.Background(), "h", peopletest.Admitted(t, pool, "ann@example.coop")); !errors.Is(err, ErrPasskeysOff) {
		t.Errorf("BeginPasskey: %v", err)
	}
	if on, _, _ := newService(t, localhost); !on.PasskeysOn() {
		t.Error("passkeys off on localhost")
	}
}
