// Package secondfactor owns a person's second factors: passkeys (WebAuthn,
// with go-webauthn), an authenticator app (TOTP, with pquerna/otp; its
// secret sealed with crypto_key), recovery codes (only keyed hashes are
// kept), the passkey ceremonies between their two requests, and the one
// login's grace a person gets whose role requires a second factor
// (security.require_second_factor). It owns the second_factor_* tables.
//
// It checks codes and passkeys and says whether they are good: a TOTP code
// works once (a replay within its window is refused), wrong codes are
// limited per person, and a passkey ceremony's challenge is taken from
// PostgreSQL once, by the browser session that began it. Every change to a
// person's factors is one transaction with its audit event and the mail
// that tells the person, whoever makes it (the person, or a secretary
// resetting someone else's; never their own).
//
// It logs nobody in (internal/session does, for internal/web/login) and
// renders no pages. It never logs or audits a secret: no TOTP secret or
// code, no recovery code, no challenge.
package secondfactor
