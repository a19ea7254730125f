package oidc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// tokenCrypto seals op's opaque values (a bearer access token carries its
// token id and subject, a code its auth request id) with AES-256-GCM, the
// cipher made once. op's own scheme builds a JWE with a wrapped content key
// for every value, whose setup was a tenth of the CPU of a userinfo call.
// The key is derived from crypto_key for this one use.
type tokenCrypto struct {
	aead cipher.AEAD
}

const (
	tokenPrefix   = "cg1."                     // a JWE, op's format, never starts so
	tokenKeyLabel = "coopgate opaque value v1" // HKDF info: this key, this use
	tokenAAD      = "coopgate-opaque-value-v1" // binds a sealed value to this scheme
)

var errNotOurs = errors.New("not a value sealed by coopgate")

// newTokenCrypto seals with tokenCrypto and opens its values as well as
// those op sealed before (tokens and codes issued before an upgrade).
func newTokenCrypto(cryptoKey [32]byte, keyID string) (op.Crypto, error) {
	key, err := hkdf.Key(sha256.New, cryptoKey[:], nil, tokenKeyLabel, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	own := &tokenCrypto{aead: aead}
	return op.NewCompositeCrypto(own, []op.Decrypter{
		own, op.NewAES256GCMCrypto(cryptoKey, keyID), op.NewAESDecrypter(cryptoKey),
	}), nil
}

// Encrypt seals s under a fresh random nonce.
func (c *tokenCrypto) Encrypt(s string) (string, error) {
	n := c.aead.NonceSize()
	nonce := make([]byte, n, n+len(s)+c.aead.Overhead())
	_, _ = rand.Read(nonce) // never fails (crypto/rand)
	sealed := c.aead.Seal(nonce, nonce, []byte(s), []byte(tokenAAD))
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Decrypt opens a value Encrypt made; anything else fails.
func (c *tokenCrypto) Decrypt(s string) (string, error) {
	enc, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return "", errNotOurs
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	n := c.aead.NonceSize()
	if err != nil || len(b) < n+c.aead.Overhead() {
		return "", errNotOurs
	}
	plain, err := c.aead.Open(nil, b[:n], b[n:], []byte(tokenAAD))
	if err != nil {
		return "", errNotOurs
	}
	return string(plain), nil
}
