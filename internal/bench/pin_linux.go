package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// PlanPinning picks the first two CPUs this process may use: servers on
// the first, the load generator on the second. It needs taskset for the
// servers, since a server may start threads before we could pin them.
func PlanPinning() Pinning {
	if _, err := exec.LookPath("taskset"); err != nil {
		return Pinning{Why: "taskset not found"}
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return Pinning{Why: "sched_getaffinity: " + err.Error()}
	}
	var cpus []int
	for cpu := 0; cpu < len(set)*64 && len(cpus) < 2; cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	if len(cpus) < 2 {
		return Pinning{Why: "fewer than 2 CPUs"}
	}
	return Pinning{Enabled: true, ServerCPU: cpus[0], LoadCPU: cpus[1]}
}

// pinSelf moves every thread of this process to the load generator's CPU.
// Threads the runtime starts later inherit the mask from their creator, so
// pinning those that exist now pins all of them.
func pinSelf(p Pinning) error {
	if !p.Enabled {
		return nil
	}
	var set unix.CPUSet
	set.Set(p.LoadCPU)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fmt.Errorf("pin load generator: %w", err)
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil {
			return fmt.Errorf("pin load generator thread %d: %w", tid, err)
		}
	}
	runtime.GOMAXPROCS(1) // one CPU: more Ps would only contend for it
	return nil
}

// pinPostgres moves a PostgreSQL cluster (the postmaster named in its
// postmaster.pid and the processes it has started) to the servers' CPU.
// Backends forked later inherit the postmaster's mask.
func pinPostgres(dataDir string, p Pinning) error {
	if !p.Enabled {
		return nil
	}
	pid, err := postmasterPID(dataDir)
	if err != nil {
		return fmt.Errorf("pin postgres: %w", err)
	}
	var set unix.CPUSet
	set.Set(p.ServerCPU)
	for _, proc := range append([]int{pid}, childPIDs(pid)...) {
		if err := pinThreads(proc, &set); err != nil {
			return fmt.Errorf("pin postgres: %w", err)
		}
	}
	return nil
}

// pinThreads sets the affinity of every thread of process pid.
func pinThreads(pid int, set *unix.CPUSet) error {
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if errors.Is(err, os.ErrNotExist) {
		return nil // a short-lived helper process that has exited meanwhile
	}
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, set); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("thread %d of %d: %w", tid, pid, err)
		}
	}
	return nil
}

// syncDisks writes dirty pages out (sync(2)).
func syncDisks() { unix.Sync() }
