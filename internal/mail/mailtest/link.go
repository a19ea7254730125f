package mailtest

import (
	"html"
	"strings"
)

// FindLink returns the first URL in body that starts with prefix, or "" if
// there is none. It works on text and HTML bodies alike: the URL ends at
// white space, a quote or an angle bracket, trailing sentence punctuation is
// dropped, and HTML escapes (&amp;) are undone.
func FindLink(body, prefix string) string {
	if link := findToken(body, prefix); link != "" {
		return html.UnescapeString(link)
	}
	return findToken(html.UnescapeString(body), prefix)
}

func findToken(body, prefix string) string {
	i := strings.Index(body, prefix)
	if i < 0 || prefix == "" {
		return ""
	}
	token := body[i:]
	if end := strings.IndexAny(token, " \t\r\n\"'<>"); end >= 0 {
		token = token[:end]
	}
	return strings.TrimRight(token, ".,;:!?)")
}
