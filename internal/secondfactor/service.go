package secondfactor

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/mail"
	"github.com/coopgate/coopgate/internal/people"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/seal"
)

// Service checks and changes people's second factors.
type Service struct {
	pool     *pgxpool.Pool
	box      *seal.Box
	outbox   *mail.Outbox
	webauthn *webauthn.WebAuthn // nil when the issuer's host is an IP address, which cannot be a relying party ID
	codeKey  []byte             // keys the recovery codes' hashes
	limits   *ratelimit.Limiter
	issuer   string
	coopName string
	roles    []string
	now      func() time.Time
}

// Config is what a Service is made from.
type Config struct {
	Pool     *pgxpool.Pool
	Box      *seal.Box    // seals TOTP secrets (crypto_key)
	Mail     *mail.Outbox // tells people of changes to their factors
	Key      []byte       // crypto_key's bytes, from which the recovery codes' hash key is derived
	Issuer   string       // its host is the passkeys' relying party ID
	CoopName string       // shown by authenticator apps and passkey managers
	Roles    []string     // security.require_second_factor
	Now      func() time.Time
}

// The errors a person can be told about.
var (
	ErrWrongCode         = errors.New("secondfactor: wrong code")
	ErrCodeUsed          = errors.New("secondfactor: code already used")
	ErrTooManyTries      = errors.New("secondfactor: too many wrong codes")
	ErrNotEnrolled       = errors.New("secondfactor: no such factor")
	ErrAlreadyEnrolled   = errors.New("secondfactor: authenticator app already set up")
	ErrPasskeyFailed     = errors.New("secondfactor: passkey not accepted")
	ErrPasskeyExists     = errors.New("secondfactor: passkey already added")
	ErrNoCeremony        = errors.New("secondfactor: no passkey ceremony under way, or it expired")
	ErrPasskeysOff       = errors.New("secondfactor: passkeys need the issuer to be a domain name")
	ErrOwnFactors        = errors.New("secondfactor: a secretary cannot reset their own second factors")
	ErrNeedsSecondFactor = errors.New("secondfactor: changing second factors needs a login with one")
)

// New makes the Service. Passkeys need a domain name as the relying party
// ID: on an issuer whose host is an IP address they are off, and the rest
// works.
func New(c Config) (*Service, error) {
	u, err := url.Parse(c.Issuer)
	if err != nil {
		return nil, fmt.Errorf("secondfactor: issuer: %w", err)
	}
	mac := hmac.New(sha256.New, c.Key)
	mac.Write([]byte("coopgate recovery codes"))
	s := &Service{pool: c.Pool, box: c.Box, outbox: c.Mail, codeKey: mac.Sum(nil),
		limits: ratelimit.NewWithClock(c.Pool, c.Now), issuer: c.Issuer, coopName: c.CoopName, roles: c.Roles, now: c.Now}
	if net.ParseIP(u.Hostname()) != nil {
		return s, nil
	}
	s.webauthn, err = webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: c.CoopName, RPOrigins: []string{c.Issuer},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("secondfactor: passkeys: %w", err)
	}
	return s, nil
}

// PasskeysOn reports whether passkeys can be used on this issuer.
func (s *Service) PasskeysOn() bool { return s.webauthn != nil }

// Required reports whether p's roles require a second factor.
func (s *Service) Required(p *people.Person) bool { return p.HasAnyRole(s.roles) }

// Factors is what second factors a person has.
type Factors struct {
	Passkeys     []Passkey
	TOTP         bool // a confirmed authenticator app
	RecoveryLeft int  // recovery codes not used yet
}

// Any reports whether there is a second factor (recovery codes stand in for
// one; they are not one).
func (f Factors) Any() bool { return len(f.Passkeys) > 0 || f.TOTP }

// Of is personID's factors.
func (s *Service) Of(ctx context.Context, personID string) (Factors, error) {
	var f Factors
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT FROM second_factor_totp WHERE person_id = $1 AND confirmed_at IS NOT NULL),
		       (SELECT count(*) FROM second_factor_recovery_codes WHERE person_id = $1 AND used_at IS NULL)`,
		personID).Scan(&f.TOTP, &f.RecoveryLeft)
	if err != nil {
		return f, fmt.Errorf("secondfactor: %w", err)
	}
	f.Passkeys, err = passkeysOf(ctx, s.pool, personID)
	return f, err
}

// forgetIfNone deletes the recovery codes of a person left with no factor:
// they stand in for a factor that is gone.
func forgetIfNone(ctx context.Context, tx pgx.Tx, personID string) error {
	_, err := tx.Exec(ctx, `
		DELETE FROM second_factor_recovery_codes WHERE person_id = $1
		  AND NOT EXISTS (SELECT FROM second_factor_passkeys WHERE person_id = $1)
		  AND NOT EXISTS (SELECT FROM second_factor_totp WHERE person_id = $1 AND confirmed_at IS NOT NULL)`, personID)
	if err != nil {
		return fmt.Errorf("secondfactor: %w", err)
	}
	return nil
}

// tell queues the mail that tells p of a change to their factors.
func (s *Service) tell(ctx context.Context, tx pgx.Tx, p *people.Person, change string) error {
	return s.outbox.Send(ctx, tx, p.Email, mail.SecondFactorChanged{Name: p.Name, Change: change,
		Link: s.issuer + "/account/second-factor", ResetLink: s.issuer + "/password/forgot"})
}

// Prune deletes passkey ceremonies that expired and authenticator-app
// enrolments nobody confirmed within a day.
func Prune(ctx context.Context, q database.Querier) error {
	if _, err := q.Exec(ctx, `DELETE FROM second_factor_challenges WHERE expires_at < now()`); err != nil {
		return fmt.Errorf("secondfactor: %w", err)
	}
	_, err := q.Exec(ctx, `DELETE FROM second_factor_totp WHERE confirmed_at IS NULL AND created_at < now() - interval '1 day'`)
	if err != nil {
		return fmt.Errorf("secondfactor: %w", err)
	}
	return nil
}
