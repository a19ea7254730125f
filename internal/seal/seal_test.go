package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("secret"), "mail")
	if bytes.Contains(sealed, []byte("secret")) {
		t.Fatal("plaintext visible in sealed value")
	}
	got, err := b.Open(sealed, "mail")
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, "signing-key"); !errors.Is(err, ErrOpen) {
		t.Errorf("opened for another purpose: %v", err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, "mail"); !errors.Is(err, ErrOpen) {
		t.Errorf("opened with another key: %v", err)
	}
	if _, err := b.Open(sealed[:5], "mail"); !errors.Is(err, ErrOpen) {
		t.Errorf("opened a truncated value: %v", err)
	}
	if _, err := New(key[:16]); err == nil {
		t.Error("accepted a 16-byte key")
	}
}
