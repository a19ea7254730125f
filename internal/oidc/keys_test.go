package oidc

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/coopgate/coopgate/internal/audit"
	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
)

var allAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// testKeyring makes two replicas' keyrings on one database, using algs.
func testKeyring(t *testing.T, now *time.Time, algs ...jose.SignatureAlgorithm) (*Keyring, *Keyring) {
	t.Helper()
	pool := pgtest.New(t)
	box, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	mk := func() *Keyring {
		k := NewKeyring(pool, box, 10*time.Minute, 7*24*time.Hour, algs)
		k.now = func() time.Time { return *now }
		return k
	}
	return mk(), mk()
}

// published is the keys' "alg:kid" in the order published.
func published(t *testing.T, k *Keyring) []string {
	t.Helper()
	keys, err := k.Published(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(keys))
	for i, key := range keys {
		out[i] = fmt.Sprintf("%s:%s", key.Algorithm(), key.ID())
	}
	return out
}

func signingID(t *testing.T, k *Keyring, alg jose.SignatureAlgorithm) string {
	t.Helper()
	key, err := k.Signing(context.Background(), alg)
	if err != nil {
		t.Fatalf("no %s signing key: %v", alg, err)
	}
	if key.SignatureAlgorithm() != alg {
		t.Fatalf("asked for %s, got a %s key", alg, key.SignatureAlgorithm())
	}
	return key.ID()
}

func TestReplicasStartingTogetherMakeOneKeyPerAlgorithm(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a, b := testKeyring(t, &now, allAlgorithms...)
	var wg sync.WaitGroup
	for _, k := range []*Keyring{a, b} {
		wg.Go(func() { _ = k.Ensure(context.Background()) })
	}
	wg.Wait()
	ka, kb := published(t, a), published(t, b)
	if len(ka) != 3 || !slices.Equal(ka, kb) {
		t.Fatalf("replicas publish %v and %v; want the same key of each algorithm", ka, kb)
	}
	for _, alg := range allAlgorithms {
		if signingID(t, a, alg) != signingID(t, b, alg) {
			t.Errorf("replicas sign %s with different keys", alg)
		}
	}
}

// A rotation and its audit events commit together: when the audit log
// refuses the event, no key is added and the current keys stay current.
func TestARotationWhoseAuditFailsAddsNoKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	a, _ := testKeyring(t, &now, jose.RS256, jose.ES256)
	if err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	before := published(t, a)
	if _, err := a.pool.Exec(ctx, `ALTER TABLE audit_events ADD CONSTRAINT refuse_rotations CHECK (action <> 'signing_key.rotate')`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Rotate(ctx, audit.System); err == nil {
		t.Fatal("the rotation succeeded although its audit event was refused")
	}
	var keys, current int
	if err := a.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE published_until IS NULL) FROM oidc_signing_keys`).Scan(&keys, &current); err != nil {
		t.Fatal(err)
	}
	if keys != len(before) || current != len(before) {
		t.Errorf("after a refused rotation: %d keys, %d current; want the %d there were, all current", keys, current, len(before))
	}
}

func TestRotationPublishesBeforeSigningAndRetiresLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	a, b := testKeyring(t, &now, jose.RS256, jose.ES256)
	if err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	first := map[jose.SignatureAlgorithm]string{jose.RS256: signingID(t, a, jose.RS256), jose.ES256: signingID(t, a, jose.ES256)}
	rotated, signsFrom, err := a.Rotate(ctx, audit.System)
	if err != nil || len(rotated) != 2 {
		t.Fatalf("rotated %v, %v; want a new key per algorithm in use", rotated, err)
	}
	if !signsFrom.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("new keys sign from %v; want now + publish lead", signsFrom)
	}
	// Another replica sees the new keys once its cache is stale...
	now = now.Add(refreshEvery + time.Second)
	if pub := published(t, b); len(pub) != 4 {
		t.Fatalf("published %v during the lead; want old and new of each algorithm", pub)
	}
	// ...but keeps signing with the old ones until the lead has passed.
	for alg, kid := range first {
		if got := signingID(t, b, alg); got != kid {
			t.Errorf("%s: signing with %s during the lead; want the old key %s", alg, got, kid)
		}
	}
	now = signsFrom.Add(time.Second)
	for _, r := range rotated {
		if got := signingID(t, b, r.Algorithm); got != r.ID {
			t.Errorf("%s: signing with %s after the lead; want the new key %s", r.Algorithm, got, r.ID)
		}
	}
	if pub := published(t, b); len(pub) != 4 {
		t.Errorf("old keys withdrawn while tokens they signed may live: %v published", pub)
	}
	now = signsFrom.Add(7*24*time.Hour + time.Minute)
	want := []string{string(rotated[0].Algorithm) + ":" + rotated[0].ID, string(rotated[1].Algorithm) + ":" + rotated[1].ID}
	if pub := published(t, b); len(pub) != 2 || !slices.Contains(pub, want[0]) || !slices.Contains(pub, want[1]) {
		t.Errorf("after retired_for, published %v; want only the new keys %v", pub, want)
	}
}

// TestAClientOnANewAlgorithmGetsAKeyAtStart: a replica started with a client
// on EdDSA, where none was before, makes an EdDSA key that signs at once,
// and the replicas still on the old configuration publish it too.
func TestAClientOnANewAlgorithmGetsAKeyAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	old, _ := testKeyring(t, &now, jose.RS256)
	if err := old.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	updated := NewKeyring(old.pool, old.box, old.lead, old.retiredFor, []jose.SignatureAlgorithm{jose.RS256, jose.EdDSA})
	updated.now = old.now
	if err := updated.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if signingID(t, updated, jose.RS256) != signingID(t, old, jose.RS256) {
		t.Error("a new RS256 key was made although one was current")
	}
	ed := signingID(t, updated, jose.EdDSA)
	now = now.Add(refreshEvery + time.Second)
	if pub := published(t, old); !slices.Contains(pub, "EdDSA:"+ed) {
		t.Errorf("a replica on the old configuration publishes %v; want the EdDSA key %s too", pub, ed)
	}
	if _, err := old.Signing(ctx, jose.ES256); err == nil {
		t.Error("an ES256 key signs although no client uses ES256")
	}
}

// TestKeysAreSealedAtRest: what the table holds is no private key until
// opened with crypto_key; opened, each is the kind its algorithm signs with.
func TestKeysAreSealedAtRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	k, _ := testKeyring(t, &now, allAlgorithms...)
	if err := k.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	rows, _ := k.pool.Query(ctx, "SELECT algorithm, private_sealed FROM oidc_signing_keys")
	defer rows.Close()
	n := 0
	for rows.Next() {
		var alg string
		var sealed []byte
		if err := rows.Scan(&alg, &sealed); err != nil {
			t.Fatal(err)
		}
		n++
		if _, err := x509.ParsePKCS8PrivateKey(sealed); err == nil {
			t.Errorf("%s key stored in the clear", alg)
		}
		der, err := k.box.Open(sealed, sealPurpose)
		if err != nil {
			t.Fatalf("%s key does not open with crypto_key: %v", alg, err)
		}
		priv, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil || !fitsAlgorithm(priv, jose.SignatureAlgorithm(alg)) {
			t.Errorf("%s key holds a %T (%v)", alg, priv, err)
		}
	}
	if n != 3 {
		t.Errorf("%d keys stored; want 3", n)
	}
}

// TestAKeyOfTheWrongKindIsRefused: a row whose algorithm does not match its
// key (a hand-edited table) is an error at load, not a signature that no
// relying party could verify.
func TestAKeyOfTheWrongKindIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	k, _ := testKeyring(t, &now, jose.RS256)
	if err := k.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := k.pool.Exec(ctx, "UPDATE oidc_signing_keys SET algorithm = 'ES256'"); err != nil {
		t.Fatal(err)
	}
	if err := k.reload(ctx); err == nil {
		t.Error("an RSA key labelled ES256 was loaded")
	}
}

var _ op.SigningKey = (*signingKey)(nil)
