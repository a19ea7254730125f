package secondfactor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/people"
)

// BeginPasskeyLogin begins a login by passkey in the session whose
// ceremony handle is handle, and returns the options for the browser's
// navigator.credentials.get. For p nil it is a login in place of a
// password: any of the co-op's passkeys on the device may answer (a
// discoverable credential names its person). For p it is p's second
// factor, and only p's passkeys may answer.
func (s *Service) BeginPasskeyLogin(ctx context.Context, handle string, p *people.Person) ([]byte, error) {
	if s.webauthn == nil {
		return nil, ErrPasskeysOff
	}
	uv := webauthn.WithUserVerification(protocol.VerificationRequired)
	var assertion *protocol.CredentialAssertion
	var data *webauthn.SessionData
	var err error
	purpose, personID := purposeLogin, ""
	if p == nil {
		assertion, data, err = s.webauthn.BeginDiscoverableLogin(uv)
	} else {
		purpose, personID = purposeSecondFactor, p.ID
		var u passkeyUser
		if u, err = s.user(ctx, p); err != nil {
			return nil, err
		}
		if len(u.creds) == 0 {
			return nil, ErrNotEnrolled
		}
		assertion, data, err = s.webauthn.BeginLogin(u, uv)
	}
	if err != nil {
		return nil, fmt.Errorf("secondfactor: %w", err)
	}
	if err := s.saveCeremony(ctx, handle, purpose, personID, data); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// FinishPasskeyLogin checks the browser's answer (a PublicKeyCredential
// as JSON) to the ceremony BeginPasskeyLogin began in this session, with
// the same p (nil for a login in place of a password), and returns whose
// passkey it was and which. A passkey whose signature counter went back
// (a copy of it is in use elsewhere) is refused.
func (s *Service) FinishPasskeyLogin(ctx context.Context, handle string, p *people.Person, answer []byte) (*people.Person, Passkey, error) {
	if s.webauthn == nil {
		return nil, Passkey{}, ErrPasskeysOff
	}
	purpose := purposeLogin
	if p != nil {
		purpose = purposeSecondFactor
	}
	data, personID, err := s.takeCeremony(ctx, handle, purpose)
	if err != nil {
		return nil, Passkey{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(answer)
	if err != nil {
		return nil, Passkey{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	var who passkeyUser
	var cred *webauthn.Credential
	if p == nil {
		cred, err = s.webauthn.ValidateDiscoverableLogin(s.discover(ctx, &who), data, parsed)
	} else if personID == p.ID {
		if who, err = s.user(ctx, p); err == nil {
			cred, err = s.webauthn.ValidateLogin(who, data, parsed)
		}
	} else {
		err = ErrNoCeremony
	}
	if err != nil {
		return nil, Passkey{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	if cred.Authenticator.CloneWarning {
		return nil, Passkey{}, fmt.Errorf("%w: its signature counter went back: a copy is in use", ErrPasskeyFailed)
	}
	used, err := s.usedPasskey(ctx, who.p.ID, cred)
	return who.p, used, err
}

// discover finds the person whose passkey answered a login in place of a
// password, from the credential's id, and checks the user handle the
// authenticator gave is theirs.
func (s *Service) discover(ctx context.Context, found *passkeyUser) webauthn.DiscoverableUserHandler {
	return func(rawID, userHandle []byte) (webauthn.User, error) {
		var personID string
		err := s.pool.QueryRow(ctx, `SELECT person_id FROM second_factor_passkeys WHERE credential_id = $1`, rawID).Scan(&personID)
		if err != nil {
			return nil, fmt.Errorf("unknown passkey: %w", err)
		}
		p, err := people.ByID(ctx, s.pool, personID)
		if err != nil {
			return nil, err
		}
		if *found, err = s.user(ctx, p); err != nil {
			return nil, err
		}
		if !bytes.Equal(found.WebAuthnID(), userHandle) {
			return nil, errors.New("the user handle is not the passkey's person's")
		}
		return *found, nil
	}
}

// usedPasskey stores what a login changed in the passkey (its counter and
// flags) and when it was used.
func (s *Service) usedPasskey(ctx context.Context, personID string, cred *webauthn.Credential) (Passkey, error) {
	b, err := json.Marshal(cred)
	if err != nil {
		return Passkey{}, fmt.Errorf("secondfactor: %w", err)
	}
	var k Passkey
	err = s.pool.QueryRow(ctx, `UPDATE second_factor_passkeys SET credential = $3, last_used_at = $4
		WHERE person_id = $1 AND credential_id = $2
		RETURNING id, name, created_at, last_used_at, coalesce((credential->'flags'->>'backupEligible')::boolean, false)`,
		personID, cred.ID, b, s.now()).Scan(&k.ID, &k.Name, &k.CreatedAt, &k.LastUsedAt, &k.Synced)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, fmt.Errorf("%w: the passkey was removed meanwhile", ErrPasskeyFailed)
	}
	if err != nil {
		return k, fmt.Errorf("secondfactor: %w", err)
	}
	return k, nil
}
