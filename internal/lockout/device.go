package lockout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DeviceLifetime is how long a device stays known without another login.
const DeviceLifetime = 365 * 24 * time.Hour

// Devices signs and checks device cookies: set at a successful login, they
// name the person and carry a random id, signed with a key derived from
// crypto_key, so no one can make one for somebody else's account.
type Devices struct {
	key    []byte
	secure bool
	now    func() time.Time
}

// NewDevices makes the signer from crypto_key's bytes; secure (https) makes
// the cookie Secure and __Host- prefixed.
func NewDevices(cryptoKey []byte, secure bool, now func() time.Time) *Devices {
	m := hmac.New(sha256.New, cryptoKey)
	m.Write([]byte("coopgate device cookie"))
	return &Devices{key: m.Sum(nil), secure: secure, now: now}
}

// CookieName is the device cookie's name.
func (d *Devices) CookieName() string {
	if d.secure {
		return "__Host-coopgate-device"
	}
	return "coopgate-device"
}

// Cookie is a new device cookie for personID.
func (d *Devices) Cookie(personID string) *http.Cookie {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	payload := personID + "." + hex.EncodeToString(id) + "." + strconv.FormatInt(d.now().Unix(), 10)
	return &http.Cookie{Name: d.CookieName(), Value: payload + "." + d.sign(payload), Path: "/",
		MaxAge: int(DeviceLifetime.Seconds()), HttpOnly: true, Secure: d.secure, SameSite: http.SameSiteStrictMode}
}

// Known is the id of the device r comes from, if its cookie is valid,
// recent and names personID; "" otherwise.
func (d *Devices) Known(r *http.Request, personID string) string {
	c, err := r.Cookie(d.CookieName())
	if err != nil || personID == "" {
		return ""
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return ""
	}
	payload, mac := c.Value[:i], c.Value[i+1:]
	if !hmac.Equal([]byte(mac), []byte(d.sign(payload))) {
		return ""
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != personID {
		return ""
	}
	issued, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || d.now().Sub(time.Unix(issued, 0)) > DeviceLifetime {
		return ""
	}
	return parts[1]
}

func (d *Devices) sign(payload string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
