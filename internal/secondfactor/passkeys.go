package secondfactor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// Passkey is one of a person's passkeys, as their page lists it.
type Passkey struct {
	ID         int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	Synced     bool // backup eligible: the passkey manager copies it between devices
}

// Method is RFC 8176's name for a login with this passkey: "swk" for a
// key its manager copies between devices (software, in effect), "hwk" for
// one that never leaves its device (a security key, a TPM).
func (p Passkey) Method() string {
	if p.Synced {
		return "swk"
	}
	return "hwk"
}

// MaxPasskeyName bounds a passkey's name, which the person chooses.
const MaxPasskeyName = 60

// passkeyUser is a person as go-webauthn sees them. The user handle is
// their id (the OIDC sub): random, opaque and already given to every
// relying party, so it tells an authenticator nothing new.
type passkeyUser struct {
	p     *people.Person
	creds []webauthn.Credential
}

func (u passkeyUser) WebAuthnID() []byte {
	id, _ := uuid.Parse(u.p.ID)
	return id[:]
}
func (u passkeyUser) WebAuthnName() string                       { return u.p.Email }
func (u passkeyUser) WebAuthnDisplayName() string                { return u.p.Name }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func passkeysOf(ctx context.Context, q database.Querier, personID string) ([]Passkey, error) {
	rows, err := q.Query(ctx, `SELECT id, name, created_at, last_used_at,
		coalesce((credential->'flags'->>'backupEligible')::boolean, false)
		FROM second_factor_passkeys WHERE person_id = $1 ORDER BY created_at, id`, personID)
	if err != nil {
		return nil, fmt.Errorf("secondfactor: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Passkey])
	if err != nil {
		return nil, fmt.Errorf("secondfactor: %w", err)
	}
	return out, nil
}

// user loads p with their passkeys' credentials.
func (s *Service) user(ctx context.Context, p *people.Person) (passkeyUser, error) {
	rows, err := s.pool.Query(ctx, `SELECT credential FROM second_factor_passkeys WHERE person_id = $1`, p.ID)
	if err != nil {
		return passkeyUser{}, fmt.Errorf("secondfactor: %w", err)
	}
	creds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (webauthn.Credential, error) {
		var c webauthn.Credential
		var raw []byte
		if err := row.Scan(&raw); err != nil {
			return c, err
		}
		return c, json.Unmarshal(raw, &c)
	})
	if err != nil {
		return passkeyUser{}, fmt.Errorf("secondfactor: loading passkeys: %w", err)
	}
	return passkeyUser{p: p, creds: creds}, nil
}

// BeginPasskey begins adding a passkey for p, in the session whose
// ceremony handle is handle, and returns the options for the browser's
// navigator.credentials.create: a discoverable credential (it can log in
// without an email) with user verification (it is two factors at once).
func (s *Service) BeginPasskey(ctx context.Context, handle string, p *people.Person) ([]byte, error) {
	if s.webauthn == nil {
		return nil, ErrPasskeysOff
	}
	u, err := s.user(ctx, p)
	if err != nil {
		return nil, err
	}
	creation, data, err := s.webauthn.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		}))
	if err != nil {
		return nil, fmt.Errorf("secondfactor: %w", err)
	}
	if err := s.saveCeremony(ctx, handle, purposeRegister, p.ID, data); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// CheckPasskeyName returns what is wrong with a passkey's name, or "".
func CheckPasskeyName(name string) string {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		return "Give this passkey a name, such as the device it is on."
	case n > MaxPasskeyName:
		return fmt.Sprintf("Keep the name to %d characters.", MaxPasskeyName)
	}
	return ""
}

// FinishPasskey checks the browser's answer (a PublicKeyCredential as
// JSON) to the ceremony BeginPasskey began in this session, and adds the
// passkey under name. A person's first factor comes with ten recovery
// codes, returned to be shown once; otherwise codes is nil.
func (s *Service) FinishPasskey(ctx context.Context, handle string, p *people.Person, name string, answer []byte, actor audit.Actor) (added Passkey, codes []string, err error) {
	if s.webauthn == nil {
		return added, nil, ErrPasskeysOff
	}
	data, personID, err := s.takeCeremony(ctx, handle, purposeRegister)
	if err != nil {
		return added, nil, err
	}
	u, err := s.user(ctx, p)
	if err != nil || personID != p.ID {
		return added, nil, errors.Join(ErrNoCeremony, err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return added, nil, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	cred, err := s.webauthn.CreateCredential(u, data, parsed)
	if err != nil {
		return added, nil, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	added = Passkey{Name: strings.TrimSpace(name), CreatedAt: s.now(), Synced: cred.Flags.BackupEligible}
	err = database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.insertPasskey(ctx, tx, p.ID, cred, &added); err != nil {
			return err
		}
		if codes, err = s.firstRecoveryCodes(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, p, "second_factor.passkey_add", map[string]string{"name": added.Name},
			fmt.Sprintf("A passkey named “%s” was added to your account.", added.Name))
	})
	return added, codes, err
}

func (s *Service) insertPasskey(ctx context.Context, tx pgx.Tx, personID string, cred *webauthn.Credential, added *Passkey) error {
	b, err := json.Marshal(cred)
	if err != nil {
		return fmt.Errorf("secondfactor: %w", err)
	}
	err = tx.QueryRow(ctx, `INSERT INTO second_factor_passkeys (person_id, credential_id, credential, name, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING RETURNING id`,
		personID, cred.ID, b, added.Name, added.CreatedAt).Scan(&added.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrPasskeyExists
	}
	if err != nil {
		return fmt.Errorf("secondfactor: adding a passkey: %w", err)
	}
	return nil
}

// RemovePasskey removes one of p's passkeys.
func (s *Service) RemovePasskey(ctx context.Context, p *people.Person, id int64, actor audit.Actor) error {
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM second_factor_passkeys WHERE id = $1 AND person_id = $2 RETURNING name`,
			id, p.ID).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotEnrolled
		}
		if err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		if err := forgetIfNone(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, p, "second_factor.passkey_remove", map[string]string{"name": name},
			fmt.Sprintf("The passkey named “%s” was removed from your account: it no longer logs you in.", name))
	})
}
