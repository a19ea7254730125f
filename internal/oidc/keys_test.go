package oidc

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coopgate/coopgate/internal/pgtest"
	"github.com/coopgate/coopgate/internal/seal"
)

func testKeyring(t *testing.T, now *time.Time) (*Keyring, *Keyring) {
	t.Helper()
	pool := pgtest.New(t)
	box, _ := seal.New(bytes.Repeat([]byte{1}, 32))
	mk := func() *Keyring {
		k := NewKeyring(pool, box, 10*time.Minute, 7*24*time.Hour)
		k.now = func() time.Time { return *now }
		return k
	}
	return mk(), mk()
}

func TestReplicasStartingTogetherMakeOneKey(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a, b := testKeyring(t, &now)
	var wg sync.WaitGroup
	for _, k := range []*Keyring{a, b} {
		wg.Add(1)
		go func(k *Keyring) { defer wg.Done(); _ = k.Ensure(context.Background()) }(k)
	}
	wg.Wait()
	ka, _ := a.Published(context.Background())
	kb, _ := b.Published(context.Background())
	if len(ka) != 1 || len(kb) != 1 || ka[0].ID() != kb[0].ID() {
		t.Fatalf("replicas publish %d and %d keys", len(ka), len(kb))
	}
}

func TestRotationPublishesBeforeSigningAndRetiresLater(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	a, b := testKeyring(t, &now)
	if err := a.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	first, _ := a.Signing(ctx)
	kid, signsFrom, err := a.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !signsFrom.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("new key signs from %v; want now + publish lead", signsFrom)
	}
	// Another replica sees the new key once its cache is stale...
	now = now.Add(refreshEvery + time.Second)
	pub, _ := b.Published(ctx)
	if len(pub) != 2 {
		t.Fatalf("published %d keys during the lead; want old and new", len(pub))
	}
	// ...but keeps signing with the old one until the lead has passed.
	if s, _ := b.Signing(ctx); s.ID() != first.ID() {
		t.Errorf("signing with %s during the lead; want the old key %s", s.ID(), first.ID())
	}
	now = signsFrom.Add(time.Second)
	if s, _ := b.Signing(ctx); s.ID() != kid {
		t.Errorf("signing with %s after the lead; want the new key %s", s.ID(), kid)
	}
	if pub, _ := b.Published(ctx); len(pub) != 2 {
		t.Errorf("old key withdrawn while tokens it signed may live: %d published", len(pub))
	}
	now = signsFrom.Add(7*24*time.Hour + time.Minute)
	if pub, _ := b.Published(ctx); len(pub) != 1 || pub[0].ID() != kid {
		t.Errorf("after retired_for, published %d keys; want only the new one", len(pub))
	}
}
