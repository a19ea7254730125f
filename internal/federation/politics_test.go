package federation

import (
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/policy"
	"github.com/coopgate/coopgate/policies"
)

// TestPoliticsPassage: the forms quote the co-op's own free-speech policy
// on politics, as a plain sentence.
func TestPoliticsPassage(t *testing.T) {
	loaded, err := policy.Load(policies.FS)
	if err != nil {
		t.Fatal(err)
	}
	var body string
	for _, p := range loaded {
		if p.ID == FreeSpeechPolicy {
			body = p.Body
		}
	}
	got := politicsPassage(body)
	if !strings.HasPrefix(got, "We do not block other servers for their politics.") ||
		!strings.HasSuffix(got, "people whose politics differ from ours or yours.") || strings.Contains(got, "*") {
		t.Errorf("passage %q", got)
	}
	if politicsPassage("# Title\n\nNothing about that here.\n") != "" {
		t.Error("found a passage in a policy without one")
	}
}
