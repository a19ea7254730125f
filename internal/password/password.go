// Package password hashes and checks passwords with argon2id, bounding how
// many hashes run at once so a flood of logins cannot exhaust memory.
package password

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/alexedwards/argon2id"
)

// Params are coopgate's argon2id costs: 64 MiB, one pass, two lanes (RFC 9106
// allows trading passes for memory; memory is what hurts an attacker's GPUs).
var Params = &argon2id.Params{Memory: 64 * 1024, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// slots bounds concurrent hashes: each holds 64 MiB.
var slots = make(chan struct{}, 2*runtime.NumCPU())

// Hash returns the PHC-format argon2id hash of pw.
func Hash(ctx context.Context, pw string) (string, error) {
	if err := acquire(ctx); err != nil {
		return "", err
	}
	defer release()
	h, err := argon2id.CreateHash(pw, Params)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return h, nil
}

// Check reports whether pw matches hash. An empty hash (no such person) is
// checked against a dummy hash, so the answer takes as long either way.
func Check(ctx context.Context, pw, hash string) (bool, error) {
	if err := acquire(ctx); err != nil {
		return false, err
	}
	defer release()
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(pw, dummyHash())
		return false, nil
	}
	ok, err := argon2id.ComparePasswordAndHash(pw, hash)
	if err != nil {
		return false, fmt.Errorf("password: %w", err)
	}
	return ok, nil
}

func acquire(ctx context.Context) error {
	select {
	case slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func release() { <-slots }

// dummyHash has coopgate's parameters and matches no password anyone types.
// It is made at the first unknown email, not at start: hashing takes 64 MiB
// that the runtime would hold on to long after (idle memory) and ~60 ms of
// CPU before the server could answer (time to ready).
var dummyHash = sync.OnceValue(func() string {
	h, err := argon2id.CreateHash("coopgate-dummy-password-for-timing", Params)
	if err != nil {
		panic(err)
	}
	return h
})

// Problem says what is wrong with a new password, for the form to show.
// Length is what matters (NIST SP 800-63B): at least 10 characters, at most
// 200 (bounding the hash input), and not only the email or username.
func Problem(pw string, alsoNot ...string) string {
	n := len([]rune(pw))
	switch {
	case n < 10:
		return "Use at least 10 characters."
	case n > 200:
		return "Use at most 200 characters."
	}
	for _, s := range alsoNot {
		if s != "" && pw == s {
			return "Choose something other than your email or username."
		}
	}
	return ""
}
