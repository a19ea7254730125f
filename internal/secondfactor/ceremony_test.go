package secondfactor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
)

// TestCeremonyIsTakenOnceBySessionAndPurpose: a challenge waits in
// PostgreSQL for the session that began it, is taken once, for its own
// purpose, and not after it expired.
func TestCeremonyIsTakenOnceBySessionAndPurpose(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, pool, clk := newService(t, "https://id.example.coop")
	data := &webauthn.SessionData{Challenge: "a-challenge-of-the-test"}
	if err := s.saveCeremony(ctx, "browser-a", purposeLogin, "", data); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, `SELECT count(*) FROM second_factor_challenges WHERE handle_hash = convert_to('browser-a', 'UTF8')`); n != 0 {
		t.Error("the session's handle is stored in clear")
	}
	for _, tt := range []struct{ handle, purpose string }{{"browser-b", purposeLogin}, {"browser-a", purposeRegister}, {"", purposeLogin}} {
		if _, _, err := s.takeCeremony(ctx, tt.handle, tt.purpose); !errors.Is(err, ErrNoCeremony) {
			t.Errorf("%q %s took another's ceremony: %v", tt.handle, tt.purpose, err)
		}
	}
	got, _, err := s.takeCeremony(ctx, "browser-a", purposeLogin)
	if err != nil || got.Challenge != data.Challenge {
		t.Fatalf("the session's own: %+v %v", got, err)
	}
	if _, _, err := s.takeCeremony(ctx, "browser-a", purposeLogin); !errors.Is(err, ErrNoCeremony) {
		t.Errorf("taken twice: %v", err)
	}

	if err := s.saveCeremony(ctx, "browser-a", purposeLogin, "", data); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(ceremonyTTL + time.Second)
	if _, _, err := s.takeCeremony(ctx, "browser-a", purposeLogin); !errors.Is(err, ErrNoCeremony) {
		t.Errorf("an expired ceremony: %v", err)
	}
}
