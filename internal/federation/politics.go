package federation

import (
	"context"
	"regexp"
	"strings"

	"github.com/coopgate/coopgate/internal/database"
	"github.com/coopgate/coopgate/internal/policy"
)

// Quote is the free-speech policy's own words on why politics is not a
// ground, for the forms, with the version they come from.
type Quote struct {
	Text     string // empty when the policy has no such passage
	PolicyID string
	Title    string
	Version  string
}

// WhyNoPolitics finds, in the current free-speech policy, the passage
// that speaks of politics (the first paragraph or list item that does), so
// the forms quote the words the members accepted rather than a paraphrase.
func WhyNoPolitics(ctx context.Context, q database.Querier) (Quote, error) {
	current, err := policy.Current(ctx, q)
	if err != nil {
		return Quote{}, err
	}
	for _, p := range current {
		if p.ID == FreeSpeechPolicy {
			return Quote{Text: politicsPassage(p.Body), PolicyID: p.ID, Title: p.Title, Version: p.Version}, nil
		}
	}
	return Quote{PolicyID: FreeSpeechPolicy}, nil
}

var (
	blockStart = regexp.MustCompile(`^\s*$|^\s*(?:[-*+]|\d+\.)\s+`)
	emphasis   = regexp.MustCompile(`\*\*|__|\*|_`)
)

// politicsPassage is the first paragraph or list item of body that
// mentions politics, as plain text.
func politicsPassage(body string) string {
	var passages []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			passages = append(passages, strings.Join(cur, " "))
			cur = nil
		}
	}
	for line := range strings.Lines(body) {
		line = strings.TrimRight(line, "\r\n")
		if blockStart.MatchString(line) {
			flush()
		}
		line = strings.TrimSpace(blockStart.ReplaceAllString(line, ""))
		if line != "" && !strings.HasPrefix(line, "#") {
			cur = append(cur, line)
		}
	}
	flush()
	for _, p := range passages {
		if strings.Contains(strings.ToLower(p), "politic") {
			return strings.TrimSpace(emphasis.ReplaceAllString(p, ""))
		}
	}
	return ""
}
