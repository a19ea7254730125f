package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/seal"
)

// Keyring holds the ID token signing keys: one current key for each
// algorithm in use (RS256, and whatever the clients' id_token_signed_response_alg
// names), besides the next keys and the retired ones still published. They
// live in the database, sealed with crypto_key; each replica keeps them in
// memory and reloads them every refreshEvery, so a rotation done by
// `coopgate keys rotate` anywhere reaches every replica before the new keys
// sign (keys.publish_lead is longer).
type Keyring struct {
	pool       *pgxpool.Pool
	box        *seal.Box
	lead       time.Duration
	retiredFor time.Duration
	algs       []jose.SignatureAlgorithm // in use: each gets a current key
	now        func() time.Time

	mu       sync.RWMutex
	keys     []*signingKey // newest first
	loadedAt time.Time
}

const (
	refreshEvery = 30 * time.Second
	sealPurpose  = "oidc-signing-key"
	rsaBits      = 2048 // RFC 7518 §3.3's minimum; larger keys only sign slower
)

// SignatureAlgorithms are the ID token algorithms coopgate offers, RS256
// first: OpenID Connect requires it, and every relying party accepts it.
var SignatureAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// AlgorithmsInUse are RS256 (the default, and op's own) and every algorithm
// a configured client's ID tokens are signed with.
func AlgorithmsInUse(clients []config.Client) []jose.SignatureAlgorithm {
	algs := []jose.SignatureAlgorithm{jose.RS256}
	for _, c := range clients {
		if a := jose.SignatureAlgorithm(c.IDTokenSignedResponseAlg); a != "" && !slices.Contains(algs, a) {
			algs = append(algs, a)
		}
	}
	return algs
}

type signingKey struct {
	kid            string
	alg            jose.SignatureAlgorithm
	private        crypto.Signer
	signsFrom      time.Time
	publishedUntil *time.Time
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return k.alg }
func (k *signingKey) Key() any                                    { return k.private }
func (k *signingKey) ID() string                                  { return k.kid }

// publicKey is a key as published at the JWKS endpoint.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.kid }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return p.k.alg }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return p.k.private.Public() }

// NewKeyring makes a keyring for the algorithms in use; call Ensure before
// serving.
func NewKeyring(pool *pgxpool.Pool, box *seal.Box, lead, retiredFor time.Duration, algs []jose.SignatureAlgorithm) *Keyring {
	return &Keyring{pool: pool, box: box, lead: lead, retiredFor: retiredFor, algs: algs, now: time.Now}
}

// Ensure creates a key, signing at once, for each algorithm in use that has
// no current key: the first start, or a client configured for an algorithm
// no client used before. Replicas starting together create one key each
// between them.
func (k *Keyring) Ensure(ctx context.Context) error {
	err := database.InTx(ctx, k.pool, func(tx pgx.Tx) error {
		if err := lockKeys(ctx, tx); err != nil {
			return err
		}
		var current []string
		rows, err := tx.Query(ctx, "SELECT DISTINCT algorithm FROM oidc_signing_keys WHERE published_until IS NULL")
		if err == nil {
			current, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			return err
		}
		for _, alg := range k.algs {
			if !slices.Contains(current, string(alg)) {
				if _, err := k.insert(ctx, tx, alg, k.now()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("signing keys: %w", err)
	}
	return k.reload(ctx)
}

func lockKeys(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('oidc_signing_keys'))")
	return err
}

// RotatedKey is a key `coopgate keys rotate` made.
type RotatedKey struct {
	ID        string
	Algorithm jose.SignatureAlgorithm
}

// Rotate adds, for each algorithm in use, a key that is published now and
// signs after the publish lead, and schedules the keys it replaces (of every
// algorithm) to stop being published once every token they signed has
// expired. An algorithm no client uses any more gets no new key. Each new
// key's audit event, by actor, commits with it.
func (k *Keyring) Rotate(ctx context.Context, actor audit.Actor) (keys []RotatedKey, signsFrom time.Time, err error) {
	signsFrom = k.now().Add(k.lead)
	err = database.InTx(ctx, k.pool, func(tx pgx.Tx) error {
		keys = nil // a retried transaction starts over
		if err := lockKeys(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE oidc_signing_keys SET published_until = $1 WHERE published_until IS NULL`,
			signsFrom.Add(k.retiredFor)); err != nil {
			return err
		}
		for _, alg := range k.algs {
			kid, err := k.insert(ctx, tx, alg, signsFrom)
			if err != nil {
				return err
			}
			keys = append(keys, RotatedKey{ID: kid, Algorithm: alg})
			if err := audit.Record(ctx, tx, actor, audit.Event{
				Action: "signing_key.rotate", SubjectType: "signing_key", SubjectID: kid,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("rotating signing keys: %w", err)
	}
	return keys, signsFrom, k.reload(ctx)
}

func (k *Keyring) insert(ctx context.Context, tx pgx.Tx, alg jose.SignatureAlgorithm, signsFrom time.Time) (string, error) {
	priv, err := generateKey(alg)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", err
	}
	kid, err := keyID(priv.Public())
	if err != nil {
		return "", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO oidc_signing_keys (kid, algorithm, private_sealed, signs_from) VALUES ($1, $2, $3, $4)`,
		kid, string(alg), k.box.Seal(der, sealPurpose), signsFrom)
	return kid, err
}

var errUnknownAlgorithm = errors.New("not an ID token algorithm coopgate offers")

// generateKey makes a key for alg: RSA-2048, P-256 or Ed25519.
func generateKey(alg jose.SignatureAlgorithm) (crypto.Signer, error) {
	switch alg {
	case jose.RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case jose.ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("%q: %w", alg, errUnknownAlgorithm)
}

// fitsAlgorithm reports whether key is the kind alg signs with.
func fitsAlgorithm(key any, alg jose.SignatureAlgorithm) bool {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return alg == jose.RS256
	case *ecdsa.PrivateKey:
		return alg == jose.ES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == jose.EdDSA
	}
	return false
}

// keyID is derived from the public key, so it never collides by chance.
func keyID(pub crypto.PublicKey) (string, error) {
	var der []byte
	if rsaPub, ok := pub.(*rsa.PublicKey); ok {
		der = x509.MarshalPKCS1PublicKey(rsaPub) // as the first RS256 keys' ids were made
	} else {
		var err error
		if der, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			return "", err
		}
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:12]), nil
}

func (k *Keyring) reload(ctx context.Context) error {
	rows, err := k.pool.Query(ctx, `
		SELECT kid, algorithm, private_sealed, signs_from, published_until FROM oidc_signing_keys
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
	if err := row.Scan(&sk.kid, &sk.alg, &sealed, &sk.signsFrom, &sk.publishedUntil); err != nil {
		return nil, err
	}
	der, err := k.box.Open(sealed, sealPurpose)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w (is crypto_key the one it was sealed with?)", sk.kid, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der) // RSA keys come back precomputed
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", sk.kid, err)
	}
	if !fitsAlgorithm(parsed, sk.alg) {
		return nil, fmt.Errorf("key %s: a %T does not sign %s", sk.kid, parsed, sk.alg)
	}
	sk.private = parsed.(crypto.Signer) // each kind fitsAlgorithm admits is one
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

// Signing returns the newest key of alg whose time to sign has come.
func (k *Keyring) Signing(ctx context.Context, alg jose.SignatureAlgorithm) (op.SigningKey, error) {
	keys, err := k.current(ctx)
	if err != nil {
		return nil, err
	}
	now := k.now()
	for _, key := range keys {
		if key.alg == alg && !key.signsFrom.After(now) {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%s: %w", alg, errNoSigningKey)
}

// Published returns every key relying parties should accept, of every
// algorithm: also those of algorithms this replica's clients do not use,
// which another replica's may.
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
