// Package passkeytest is a software passkey authenticator for Go tests: it
// answers the options coopgate gives navigator.credentials.create and
// .get as a browser with a platform authenticator would (user present and
// verified, "none" attestation, discoverable credentials), so tests can add
// passkeys and log in with them. The browser journeys use Chromium's own
// virtual authenticator instead.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// Authenticator holds passkeys, for one origin.
type Authenticator struct {
	Origin string
	// Synced makes its passkeys backup eligible (a passkey manager's that
	// copies them between devices) rather than bound to this device.
	Synced bool
	keys   []*passkey
}

type passkey struct {
	id, userHandle []byte
	rpID           string
	key            *ecdsa.PrivateKey
	counter        uint32
}

// New is an authenticator for pages at origin ("http://localhost:8080").
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

var b64 = base64.RawURLEncoding

type descriptor struct {
	ID string `json:"id"`
}

// Create answers creation options ({"publicKey": …}, as coopgate sends
// them) with the new passkey's PublicKeyCredential, as JSON.
func (a *Authenticator) Create(t testing.TB, options []byte) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	must(t, json.Unmarshal(options, &o))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	handle, err := b64.DecodeString(o.PublicKey.User.ID)
	must(t, err)
	k := &passkey{id: random(16), userHandle: handle, rpID: o.PublicKey.RP.ID, key: key}
	a.keys = append(a.keys, k)
	clientData := a.clientData("webauthn.create", o.PublicKey.Challenge)
	authData := append(a.authData(k, 0x40), attested(t, k)...)
	attestation, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	must(t, err)
	return credential(t, k, map[string]any{"clientDataJSON": b64.EncodeToString(clientData),
		"attestationObject": b64.EncodeToString(attestation), "transports": []string{"internal"}})
}

// Get answers request options with an assertion of one of its passkeys for
// the relying party: the first allowed one, or for a login without an
// email (no allowCredentials) the first it has.
func (a *Authenticator) Get(t testing.TB, options []byte) []byte {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string       `json:"challenge"`
			RPID      string       `json:"rpId"`
			Allow     []descriptor `json:"allowCredentials"`
		} `json:"publicKey"`
	}
	must(t, json.Unmarshal(options, &o))
	k := a.pick(o.PublicKey.RPID, o.PublicKey.Allow)
	if k == nil {
		t.Fatalf("passkeytest: no passkey for %s among %v", o.PublicKey.RPID, o.PublicKey.Allow)
	}
	k.counter++
	clientData := a.clientData("webauthn.get", o.PublicKey.Challenge)
	authData := a.authData(k, 0)
	sum := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(append([]byte{}, authData...), sum[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	must(t, err)
	return credential(t, k, map[string]any{"clientDataJSON": b64.EncodeToString(clientData),
		"authenticatorData": b64.EncodeToString(authData), "signature": b64.EncodeToString(sig),
		"userHandle": b64.EncodeToString(k.userHandle)})
}

func (a *Authenticator) pick(rpID string, allow []descriptor) *passkey {
	for _, k := range a.keys {
		if k.rpID != rpID {
			continue
		}
		if len(allow) == 0 {
			return k
		}
		for _, d := range allow {
			if d.ID == b64.EncodeToString(k.id) {
				return k
			}
		}
	}
	return nil
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// authData is WebAuthn's authenticator data: the relying party's hash,
// the flags (user present and verified, backup eligible and done when
// synced, plus extra), and the signature counter.
func (a *Authenticator) authData(k *passkey, extra byte) []byte {
	rp := sha256.Sum256([]byte(k.rpID))
	flags := byte(0x01|0x04) | extra
	if a.Synced {
		flags |= 0x08 | 0x10
	}
	out := append(rp[:], flags)
	return binary.BigEndian.AppendUint32(out, k.counter)
}

// attested is the attested credential data: a zero AAGUID, the id and
// the public key in COSE.
func attested(t testing.TB, k *passkey) []byte {
	pub, err := k.key.PublicKey.ECDH()
	must(t, err)
	point := pub.Bytes() // 0x04 || X || Y
	cose, err := webauthncbor.Marshal(webauthncose.EC2PublicKeyData{
		PublicKeyData: webauthncose.PublicKeyData{KeyType: int64(webauthncose.EllipticKey), Algorithm: int64(webauthncose.AlgES256)},
		Curve:         int64(webauthncose.P256), XCoord: point[1:33], YCoord: point[33:],
	})
	must(t, err)
	out := make([]byte, 16)
	out = binary.BigEndian.AppendUint16(out, uint16(len(k.id)))
	return append(append(out, k.id...), cose...)
}

func credential(t testing.TB, k *passkey, response map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"id": b64.EncodeToString(k.id), "rawId": b64.EncodeToString(k.id),
		"type": "public-key", "response": response, "clientExtensionResults": map[string]any{},
		"authenticatorAttachment": "platform"})
	must(t, err)
	return b
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("passkeytest: %v", err)
	}
}
