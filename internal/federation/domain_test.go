package federation

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		problem  string // part of the message when refused
	}{
		{in: "example.social", want: "example.social"},
		{in: "  Example.SOCIAL  ", want: "example.social"},
		{in: "example.social.", want: "example.social"},
		{in: "Bücher.Example", want: "xn--bcher-kva.example"},
		{in: "xn--bcher-kva.example", want: "xn--bcher-kva.example"},
		{in: "straße.de", want: "xn--strae-oqa.de"},
		{in: "１２３.social", want: "123.social"}, // full-width digits, mapped by IDNA
		{in: "mastodon.xn--p1ai", want: "mastodon.xn--p1ai"},
		{in: "", problem: "Enter the server's domain"},
		{in: "*.example.social", problem: "without a wildcard"},
		{in: "example.*", problem: "without a wildcard"},
		{in: "https://example.social", problem: "no https://"},
		{in: "example.social/about", problem: "no path"},
		{in: "someone@example.social", problem: "no @"},
		{in: "localhost", problem: "at least two parts"},
		{in: "192.0.2.10", problem: "IP address"},
		{in: "ex ample.social", problem: "not a valid domain"},
		{in: "spam_bot.example", problem: "not a valid domain"},
		{in: "-bad.example", problem: "not a valid domain"},
		{in: "a..example", problem: "1 to 63 characters"},
		{in: strings.Repeat("a", 64) + ".example", problem: "1 to 63 characters"},
		{in: strings.Repeat("abcdefghi.", 26) + "social", problem: "too long"},
		{in: "example.social..", problem: "1 to 63 characters"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizeDomain(tc.in)
			var de *DomainError
			switch {
			case tc.problem == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.problem == "" && got != tc.want:
				t.Fatalf("got %q, want %q", got, tc.want)
			case tc.problem != "" && !errors.As(err, &de):
				t.Fatalf("got %q, %v; want a DomainError", got, err)
			case tc.problem != "" && !strings.Contains(de.Message, tc.problem):
				t.Fatalf("message %q; want it to say %q", de.Message, tc.problem)
			}
		})
	}
}

// TestObfuscate: the same stars as Mastodon's DomainBlock#public_domain
// (a quarter of the length visible at each end, dots kept).
func TestObfuscate(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":       "exa****.*om",
		"hateful.example":   "hate***.****ple",
		"ab.cd":             "ab.*d",
		"very-long-name.eu": "very-********e.eu",
	} {
		if got := Obfuscate(in); got != want {
			t.Errorf("Obfuscate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDigest(t *testing.T) {
	// printf example.com | sha256sum
	if got := Digest("example.com"); got != "a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947" {
		t.Errorf("Digest = %s", got)
	}
}
