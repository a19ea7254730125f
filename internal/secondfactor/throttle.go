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

// throttled counts a try of a code for personID before it is checked,
// and is ErrTooManyTries past the limit. Counting first is what holds the
// limit against tries sent at once: were they counted after their check,
// all of them would be checked before any was counted. A try refused
// already is not counted, so the owner's wait does not grow with an
// attacker's tries; a good code forgets the count (succeeded).
func (s *Service) throttled(ctx context.Context, personID string) error {
	over, err := s.limits.Exceeded(ctx, wrongCodes, personID)
	if err != nil {
		return err
	}
	if !over {
		within, err := s.limits.Hit(ctx, wrongCodes, personID)
		if err != nil {
			return err
		}
		over = !within
	}
	if over {
		return ErrTooManyTries
	}
	return nil
}

// succeeded forgets personID's wrong codes.
func (s *Service) succeeded(ctx context.Context, personID string) error {
	return s.limits.Reset(ctx, wrongCodes, personID)
}
