package oidc

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// idTokenClaims are the claims of a typical coopgate ID token.
func idTokenClaims() []byte {
	now := time.Now()
	b, _ := json.Marshal(map[string]any{
		"iss": "https://id.example.coop", "sub": "5f0c3c1e-8a55-4a0e-9d47-2d1c7f1f6b2a", "aud": []string{"mastodon"},
		"azp": "mastodon", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "auth_time": now.Unix(),
		"nonce": "4kz0oV3y1cQx8n2F5b7r", "at_hash": "lDgqJ3kD7Xk1c8Q2m0F5Ow", "c_hash": "Hk3m2xQ1n8F0b7c5r4y9Zw",
		"amr": []string{"pwd"}, "email": "ann@example.coop", "email_verified": true, "name": "Ann Example",
		"preferred_username": "ann", "groups": []string{"member", "worker"},
	})
	return b
}

func benchKey(b *testing.B, alg jose.SignatureAlgorithm) *signingKey {
	b.Helper()
	priv, err := generateKey(alg)
	if err != nil {
		b.Fatal(err)
	}
	return &signingKey{kid: "bench", alg: alg, private: priv}
}

// BenchmarkIDTokenSignature is what one ID token's signature costs, per
// algorithm: the bare signature over the token's SHA-256 (or, for EdDSA, the
// message), and the whole JWS as op makes it (a go-jose signer made per
// token, sign, serialise), also with the signer made once. Run pinned to one
// CPU: taskset -c 0 go test -run NONE -bench IDTokenSignature -cpu 1 ./internal/oidc/
// (docs/benchmarks.md).
func BenchmarkIDTokenSignature(b *testing.B) {
	claims := idTokenClaims()
	for _, alg := range SignatureAlgorithms {
		key := benchKey(b, alg)
		b.Run("bare/"+string(alg), func(b *testing.B) {
			digest := sha256.Sum256(claims)
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := bareSign(key.private, claims, digest[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("jose-per-token/"+string(alg), func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				signer, err := op.SignerFromKey(key)
				if err != nil {
					b.Fatal(err)
				}
				signJWS(b, signer, claims)
			}
		})
		b.Run("jose-signer-kept/"+string(alg), func(b *testing.B) {
			signer, err := op.SignerFromKey(key)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				signJWS(b, signer, claims)
			}
		})
	}
}

// reportCPU adds the process's CPU time per operation (user + system) to
// the benchmark's figures, as cpu-ns/op: on a machine others load, ns/op
// is wall time and grows with their work; CPU time hardly does. Run with
// -cpu 1, so that the process's CPU is the benchmark's (and its GC's).
// Call it right before the loop and defer what it returns.
func reportCPU(b *testing.B) func() {
	start := processCPU()
	return func() { b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op") }
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // cannot fail with RUSAGE_SELF
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func signJWS(b *testing.B, signer jose.Signer, claims []byte) {
	jws, err := signer.Sign(claims)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := jws.CompactSerialize(); err != nil {
		b.Fatal(err)
	}
}

func bareSign(key crypto.Signer, msg, digest []byte) ([]byte, error) {
	if _, ok := key.(ed25519.PrivateKey); ok {
		return key.Sign(rand.Reader, msg, crypto.Hash(0)) // Ed25519 signs the message itself
	}
	return key.Sign(rand.Reader, digest, crypto.SHA256)
}

// BenchmarkRSASignature measures what could make RS256 cheaper in pure Go:
// the key's precomputed CRT values (x509 fills them in when a key is
// loaded; without them each signature derives them again) and the key size
// (2048 bits is RFC 7518's minimum for RS256; larger keys only cost more).
func BenchmarkRSASignature(b *testing.B) {
	digest := sha256.Sum256(idTokenClaims())
	for _, bits := range []int{2048, 3072} {
		priv, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%d/precomputed", bits), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
		bare := &rsa.PrivateKey{PublicKey: priv.PublicKey, D: priv.D, Primes: priv.Primes}
		b.Run(fmt.Sprintf("%d/not-precomputed", bits), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := rsa.SignPKCS1v15(rand.Reader, bare, crypto.SHA256, digest[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
