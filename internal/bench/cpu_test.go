package bench

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// burn spins for d of CPU time (not wall time, which other work stretches).
func burn(d time.Duration) int {
	n, start := 0, ownCPU()
	for ownCPU()-start < d {
		for i := range 100000 {
			n += i
		}
	}
	return n
}

func TestCPUMeterCountsTheServerAndItsChildren(t *testing.T) {
	m := newCPUMeter(os.Getpid(), nil)
	before := m.used()
	burn(200 * time.Millisecond)
	if got := m.used().minus(before).total; got < 150*time.Millisecond || got > time.Second {
		t.Errorf("after 200 ms of CPU the meter moved %v", got)
	}
	// A child that has exited and been reaped still counts (cutime).
	before = m.used()
	if err := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done").Run(); err != nil {
		t.Fatal(err)
	}
	if got := m.used().minus(before).total; got < 20*time.Millisecond {
		t.Errorf("a reaped child's CPU was not counted: %v", got)
	}
	if (*cpuMeter)(nil).used() != (cpuUse{}) {
		t.Error("a nil meter should read zero")
	}
}
