package oidc

import (
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

func TestTokenCryptoOpensItsOwnAndOpsValuesOnly(t *testing.T) {
	var key, other [32]byte
	copy(key[:], "0123456789abcdef0123456789abcdef")
	copy(other[:], "fedcba9876543210fedcba9876543210")
	c, err := newTokenCrypto(key, "1")
	if err != nil {
		t.Fatal(err)
	}
	const value = "6f1c9e4e-1111-4c3b-9a55-000000000001:0b7c2f7e-2222-4d3b-8a66-000000000002"
	sealed, err := c.Encrypt(value)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Encrypt(value)
	if strings.Contains(sealed, "6f1c9e4e") || sealed == again {
		t.Errorf("sealed values show the plain text or repeat: %s, %s", sealed, again)
	}
	if got, err := c.Decrypt(sealed); err != nil || got != value {
		t.Errorf("Decrypt(own) = %q, %v", got, err)
	}
	// A token op sealed before coopgate had its own scheme still opens.
	legacy, _ := op.NewAES256GCMCrypto(key, "1").Encrypt(value)
	if got, err := c.Decrypt(legacy); err != nil || got != value {
		t.Errorf("Decrypt(op's) = %q, %v", got, err)
	}
	otherKey, _ := newTokenCrypto(other, "1")
	tampered := sealed[:len(sealed)-2] + map[bool]string{true: "AA", false: "AB"}[!strings.HasSuffix(sealed, "AA")]
	for name, bad := range map[string]string{
		"tampered":        tampered,
		"another key":     mustEncrypt(t, otherKey, value),
		"plain text":      value,
		"prefix only":     tokenPrefix,
		"truncated":       sealed[:len(tokenPrefix)+10],
		"op's, other key": mustEncrypt(t, op.NewAES256GCMCrypto(other, "1"), value),
	} {
		if got, err := c.Decrypt(bad); err == nil {
			t.Errorf("%s: Decrypt = %q, want an error", name, got)
		}
	}
}

func mustEncrypt(t *testing.T, c op.Encrypter, s string) string {
	t.Helper()
	v, err := c.Encrypt(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// BenchmarkTokenCrypto compares op's JWE sealing of opaque tokens with
// coopgate's (a userinfo call opens one, a token response seals one).
func BenchmarkTokenCrypto(b *testing.B) {
	var key [32]byte
	copy(key[:], "0123456789abcdef0123456789abcdef")
	own, _ := newTokenCrypto(key, "1")
	const value = "6f1c9e4e-1111-4c3b-9a55-000000000001:0b7c2f7e-2222-4d3b-8a66-000000000002"
	for _, bc := range []struct {
		name string
		c    op.Crypto
	}{{"op", op.NewAES256GCMCrypto(key, "1")}, {"coopgate", own}} {
		sealed, _ := bc.c.Encrypt(value)
		b.Run(bc.name+"/seal", func(b *testing.B) {
			for b.Loop() {
				_, _ = bc.c.Encrypt(value)
			}
		})
		b.Run(bc.name+"/open", func(b *testing.B) {
			for b.Loop() {
				_, _ = bc.c.Decrypt(sealed)
			}
		})
	}
}
