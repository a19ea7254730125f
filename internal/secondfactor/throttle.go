package secondfactor

import (
	"context"
	"time"

	"github.com/coopgate/coopgate/internal/ratelimit"
)

// wrongCodes limits the wrong codes (authenticator app or recovery) tried
// for one person, from anywhere: only someone who has their password gets
// to try. Five in a quarter of an hour, against the three codes a TOTP
// window accepts out of a million, keeps guessing to one chance in a few
// hundred thousand a day.
var wrongCodes = ratelimit.Rule{Name: "second-factor-fail", Max: 5, Window: 15 * time.Minute}

// throttled is ErrTooManyTries when personID has tried too many wrong codes.
func (s *Service) throttled(ctx context.Context, personID string) error {
	over, err := s.limits.Exceeded(ctx, wrongCodes, personID)
	if err != nil {
		return err
	}
	if over {
		return ErrTooManyTries
	}
	return nil
}

// failed counts a wrong code and returns why it was wrong.
func (s *Service) failed(ctx context.Context, personID string, why error) error {
	if _, err := s.limits.Hit(ctx, wrongCodes, personID); err != nil {
		return err
	}
	return why
}

// succeeded forgets personID's wrong codes.
func (s *Service) succeeded(ctx context.Context, personID string) error {
	return s.limits.Reset(ctx, wrongCodes, personID)
}
