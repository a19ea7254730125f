package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/net/idna"
)

// DomainError is a domain that cannot be decided about; Message says why,
// in words for the form beside the field.
type DomainError struct{ Message string }

func (e *DomainError) Error() string { return "federation: " + e.Message }

// Bounds of a DNS name (RFC 1035 §2.3.4).
const (
	maxDomain = 253
	maxLabel  = 63
)

// NormalizeDomain turns what a person typed into the form decisions are
// kept in: IDNA to punycode, lower case, no trailing dot. A wildcard, an
// address with a scheme or path, an IP address or a malformed name is a
// *DomainError.
func NormalizeDomain(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", &DomainError{"Enter the server's domain, like example.social."}
	case strings.Contains(s, "*"):
		return "", &DomainError{"Enter the domain without a wildcard: a block of example.social covers its subdomains too."}
	case strings.ContainsAny(s, "/:@"):
		return "", &DomainError{"Enter the domain only, like example.social: no https://, no @, no path."}
	}
	s = strings.TrimSuffix(s, ".")
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", &DomainError{"This is not a valid domain: use letters, digits, hyphens and dots, like example.social."}
	}
	return ascii, checkLabels(ascii)
}

func checkLabels(domain string) error {
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		if l == "" || len(l) > maxLabel {
			return &DomainError{"This is not a valid domain: each part between dots must have 1 to 63 characters."}
		}
	}
	switch {
	case len(domain) > maxDomain:
		return &DomainError{"This domain is too long to be real (at most 253 characters)."}
	case len(labels) < 2:
		return &DomainError{"A server's domain has at least two parts, like example.social."}
	case strings.Trim(labels[len(labels)-1], "0123456789") == "":
		return &DomainError{"This is an IP address, not a domain: Mastodon's domain blocks take names."}
	}
	return nil
}

// Digest is the SHA-256 of the domain in hex, as Mastodon publishes it
// beside an obfuscated domain, so that anyone can check a domain they know.
func Digest(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return hex.EncodeToString(sum[:])
}

// Obfuscate stars out the middle of a domain, keeping its dots, as
// Mastodon's DomainBlock#public_domain does: a quarter of its length shows
// at each end.
func Obfuscate(domain string) string {
	n := len(domain)
	visible := n / 4
	b := []byte(domain)
	for i := range b {
		if i > visible && i < n-visible && b[i] != '.' {
			b[i] = '*'
		}
	}
	return string(b)
}
