package oidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/seal"
)

// Keyring holds the RS256 signing keys. They live in the database, sealed with
// crypto_key; each replica keeps them in memory and reloads them every
// refreshEvery, so a rotation done by `coopgate keys rotate` anywhere reaches
// every replica before the new key signs (keys.publish_lead is longer).
type Keyring struct {
	pool       *pgxpool.Pool
	box        *seal.Box
	lead       time.Duration
	retiredFor time.Duration
	now        func() time.Time

	mu       sync.RWMutex
	keys     []*signingKey // newest first
	loadedAt time.Time
}

const (
	refreshEvery = 30 * time.Second
	sealPurpose  = "oidc-signing-key"
	rsaBits      = 2048
)

type signingKey struct {
	kid            string
	private        *rsa.PrivateKey
	signsFrom      time.Time
	publishedUntil *time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.private }
func (k *signingKey) ID() string                                  { return k.kid }

// publicKey is a key as published at the JWKS endpoint.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.kid }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.private.PublicKey }

// NewKeyring makes a keyring; call Ensure before serving.
func NewKeyring(pool *pgxpool.Pool, box *seal.Box, lead, retiredFor time.Duration) *Keyring {
	return &Keyring{pool: pool, box: box, lead: lead, retiredFor: retiredFor, now: time.Now}
}

// Ensure creates the first key, signing at once, if there is none. Replicas
// starting together create one key between them.
func (k *Keyring) Ensure(ctx context.Context) error {
	err := database.InTx(ctx, k.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('oidc_signing_keys'))"); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM oidc_signing_keys").Scan(&n); err != nil || n > 0 {
			return err
		}
		_, err := k.insert(ctx, tx, k.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	return k.reload(ctx)
}

// Rotate adds a key that is published now and signs after the publish lead,
// and schedules the keys it replaces to stop being published once every token
// they signed has expired.
func (k *Keyring) Rotate(ctx context.Context) (kid string, signsFrom time.Time, err error) {
	signsFrom = k.now().Add(k.lead)
	err = database.InTx(ctx, k.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('oidc_signing_keys'))"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE oidc_signing_keys SET published_until = $1 WHERE published_until IS NULL`,
			signsFrom.Add(k.retiredFor)); err != nil {
			return err
		}
		kid, err = k.insert(ctx, tx, signsFrom)
		return err
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("rotating signing keys: %w", err)
	}
	return kid, signsFrom, k.reload(ctx)
}

func (k *Keyring) insert(ctx context.Context, tx pgx.Tx, signsFrom time.Time) (string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	kid := keyID(&priv.PublicKey)
	_, err = tx.Exec(ctx, `INSERT INTO oidc_signing_keys (kid, algorithm, private_sealed, signs_from) VALUES ($1, 'RS256', $2, $3)`,
		kid, k.box.Seal(der, sealPurpose), signsFrom)
	return kid, err
}

// keyID is derived from the public key, so it never collides by chance.
func keyID(pub *rsa.PublicKey) string {
	sum := sha256.Sum256(x509.MarshalPKCS1PublicKey(pub))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func (k *Keyring) reload(ctx context.Context) error {
	rows, err := k.pool.Query(ctx, `
		SELECT kid, private_sealed, signs_from, published_until FROM oidc_signing_keys
		WHERE published_until IS NULL OR published_until > now() ORDER BY signs_from DESC`)
	if err != nil {
		return fmt.Errorf("loading signing keys: %w", err)
	}
	keys, err := pgx.CollectRows(rows, k.scanKey)
	if err != nil {
		return fmt.Errorf("loading signing keys: %w", err)
	}
	k.mu.Lock()
	k.keys, k.loadedAt = keys, k.now()
	k.mu.Unlock()
	return nil
}

func (k *Keyring) scanKey(row pgx.CollectableRow) (*signingKey, error) {
	var sk signingKey
	var sealed []byte
	if err := row.Scan(&sk.kid, &sealed, &sk.signsFrom, &sk.publishedUntil); err != nil {
		return nil, err
	}
	der, err := k.box.Open(sealed, sealPurpose)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w (is crypto_key the one it was sealed with?)", sk.kid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", sk.kid, err)
	}
	rsaKey, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key %s: not an RSA key", sk.kid)
	}
	rsaKey.Precompute()
	sk.private = rsaKey
	return &sk, nil
}

// current returns the loaded keys, reloading them when they are stale.
func (k *Keyring) current(ctx context.Context) ([]*signingKey, error) {
	k.mu.RLock()
	keys, fresh := k.keys, k.now().Sub(k.loadedAt) < refreshEvery
	k.mu.RUnlock()
	if fresh {
		return keys, nil
	}
	if err := k.reload(ctx); err != nil {
		if len(keys) > 0 {
			return keys, nil // keep serving with what we have; the next call retries
		}
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys, nil
}

var errNoSigningKey = errors.New("no signing key is active yet")

// Signing returns the newest key whose time to sign has come.
func (k *Keyring) Signing(ctx context.Context) (op.SigningKey, error) {
	keys, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	now := k.now()
	for _, key := range keys {
		if !key.signsFrom.After(now) {
			return key, nil
		}
	}
	return nil, errNoSigningKey
}

// Published returns every key relying parties should accept.
func (k *Keyring) Published(ctx context.Context) ([]op.Key, error) {
	keys, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	now := k.now()
	out := make([]op.Key, 0, len(keys))
	for _, key := range keys {
		if key.publishedUntil == nil || key.publishedUntil.After(now) {
			out = append(out, publicKey{key})
		}
	}
	return out, nil
}
