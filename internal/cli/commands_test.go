package cli

import (
	"strings"
	"testing"
)

// The benchmark's seeding is `coopgate-bench seed`: the shipped binary has
// no command that fills a database with made-up people.
func TestNoBenchSeedInTheShippedBinary(t *testing.T) {
	if code, _, errOut := run(t, "bench-seed", "--people", "5"); code != 2 || !strings.Contains(errOut, `unknown command "bench-seed"`) {
		t.Errorf("bench-seed: exit %d, %s", code, errOut)
	}
	if _, out, _ := run(t, "help"); strings.Contains(out, "bench") {
		t.Errorf("help lists a bench command:\n%s", out)
	}
}
