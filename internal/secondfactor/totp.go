package secondfactor

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/people"
)

// The authenticator app's codes: RFC 6238's defaults, which every app
// reads from the QR code, and one step either side for a phone's clock.
const (
	totpPeriod  = 30 * time.Second
	totpSkew    = 1
	totpDigits  = otp.DigitsSix
	enrolmentOK = time.Hour // how long a shown secret may be confirmed
)

// TOTPEnrolment is an authenticator app being set up: what the person
// types or scans.
type TOTPEnrolment struct {
	Secret string // base32, as apps take it typed
	URL    string // otpauth://, what the QR code holds
	QR     []byte // the QR code, PNG
}

// sealPurpose binds a sealed secret to its person: it cannot be opened as
// anyone else's.
func sealPurpose(personID string) string { return "totp:" + personID }

// StartTOTP begins setting up an authenticator app for p, or shows again
// the one begun within the hour, so a reloaded page shows the same code.
func (s *Service) StartTOTP(ctx context.Context, p *people.Person) (TOTPEnrolment, error) {
	var secret string
	err := database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var sealed []byte
		var created time.Time
		var confirmed bool
		err := tx.QueryRow(ctx, `SELECT secret_sealed, created_at, confirmed_at IS NOT NULL
			FROM second_factor_totp WHERE person_id = $1 FOR UPDATE`, p.ID).Scan(&sealed, &created, &confirmed)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("secondfactor: %w", err)
		case confirmed:
			return ErrAlreadyEnrolled
		case s.now().Sub(created) < enrolmentOK:
			plain, err := s.box.Open(sealed, sealPurpose(p.ID))
			secret = string(plain)
			return err
		}
		key, err := totp.Generate(totp.GenerateOpts{Issuer: s.coopName, AccountName: p.Email, Digits: totpDigits})
		if err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		secret = key.Secret()
		_, err = tx.Exec(ctx, `INSERT INTO second_factor_totp (person_id, secret_sealed, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (person_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at, last_step = 0`,
			p.ID, s.box.Seal([]byte(secret), sealPurpose(p.ID)), s.now())
		return err
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return s.enrolment(p, secret)
}

func (s *Service) enrolment(p *people.Person, secret string) (TOTPEnrolment, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("secondfactor: stored secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.coopName, AccountName: p.Email, Secret: raw, Digits: totpDigits})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("secondfactor: %w", err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("secondfactor: QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, fmt.Errorf("secondfactor: QR code: %w", err)
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QR: buf.Bytes()}, nil
}

// ConfirmTOTP finishes setting up p's authenticator app with its first
// code. A person's first factor comes with ten recovery codes, returned to
// be shown once; otherwise codes is nil.
func (s *Service) ConfirmTOTP(ctx context.Context, p *people.Person, code string, actor audit.Actor) (codes []string, err error) {
	if err := s.throttled(ctx, p.ID); err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		secret, err := s.totpSecret(ctx, tx, p.ID, false)
		if err != nil {
			return err
		}
		step, ok := matchStep(secret, code, s.now())
		if !ok {
			return ErrWrongCode
		}
		if _, err := tx.Exec(ctx, `UPDATE second_factor_totp SET confirmed_at = $2, last_step = $3 WHERE person_id = $1`,
			p.ID, s.now(), step); err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		if codes, err = s.firstRecoveryCodes(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, p, "second_factor.totp_add", nil,
			"An authenticator app was set up to give codes for your account.")
	})
	if errors.Is(err, ErrWrongCode) {
		return nil, s.failed(ctx, p.ID, err)
	}
	return codes, err
}

// CheckTOTP checks a code of p's authenticator app. A good code works
// once: the same code again, or one of an earlier step, is ErrCodeUsed.
func (s *Service) CheckTOTP(ctx context.Context, p *people.Person, code string) error {
	if err := s.throttled(ctx, p.ID); err != nil {
		return err
	}
	secret, err := s.totpSecret(ctx, s.pool, p.ID, true)
	if err != nil {
		return err
	}
	step, ok := matchStep(secret, code, s.now())
	if !ok {
		return s.failed(ctx, p.ID, ErrWrongCode)
	}
	// Of two logins with one code at once, one moves last_step on.
	tag, err := s.pool.Exec(ctx, `UPDATE second_factor_totp SET last_step = $2
		WHERE person_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2`, p.ID, step)
	if err != nil {
		return fmt.Errorf("secondfactor: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return s.failed(ctx, p.ID, ErrCodeUsed)
	}
	return s.succeeded(ctx, p.ID)
}

// totpSecret opens personID's secret: the confirmed one, or the one being
// set up (within the hour).
func (s *Service) totpSecret(ctx context.Context, q database.Querier, personID string, confirmed bool) (string, error) {
	var sealed []byte
	err := q.QueryRow(ctx, `SELECT secret_sealed FROM second_factor_totp WHERE person_id = $1
		AND (confirmed_at IS NOT NULL) = $2 AND ($2 OR created_at > $3)`,
		personID, confirmed, s.now().Add(-enrolmentOK)).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotEnrolled
	}
	if err != nil {
		return "", fmt.Errorf("secondfactor: %w", err)
	}
	plain, err := s.box.Open(sealed, sealPurpose(personID))
	if err != nil {
		return "", fmt.Errorf("secondfactor: TOTP secret: %w", err)
	}
	return string(plain), nil
}

// matchStep finds the time step, within the skew of now, whose code is
// code.
func matchStep(secret, code string, now time.Time) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	step := now.Unix() / int64(totpPeriod.Seconds())
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		at := time.Unix((step+d)*int64(totpPeriod.Seconds()), 0)
		want, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: uint(totpPeriod.Seconds()), Digits: totpDigits})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step + d, true
		}
	}
	return 0, false
}

// RemoveTOTP removes p's authenticator app.
func (s *Service) RemoveTOTP(ctx context.Context, p *people.Person, actor audit.Actor) error {
	return database.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM second_factor_totp WHERE person_id = $1 AND confirmed_at IS NOT NULL`, p.ID)
		if err != nil {
			return fmt.Errorf("secondfactor: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotEnrolled
		}
		if err := forgetIfNone(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, p, "second_factor.totp_remove", nil,
			"The authenticator app was removed from your account: its codes no longer work.")
	})
}

// record writes a change's audit event and queues the mail that tells p.
func (s *Service) record(ctx context.Context, tx pgx.Tx, actor audit.Actor, p *people.Person, action string, after any, change string) error {
	err := audit.Record(ctx, tx, actor, audit.Event{Action: action, SubjectType: "person", SubjectID: p.ID, After: after})
	if err != nil {
		return err
	}
	return s.tell(ctx, tx, p, change)
}
