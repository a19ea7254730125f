package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of CPU times in /proc/PID/stat (USER_HZ, 100 on
// every Linux the benchmark runs on).
const clockTick = 10 * time.Millisecond

// helper is a target whose work is partly done by other processes (its
// database), whose CPU time belongs to each request too.
type helper interface {
	HelperPIDs() []int
}

// cpuMeter reads how much CPU a server has used so far: its process and
// every process under it, plus its helpers. CPU time per operation does
// not depend on what else runs on the machine, as requests per second do.
type cpuMeter struct {
	server  int
	helpers []int
}

func newCPUMeter(serverPID int, t Target) *cpuMeter {
	if serverPID <= 0 {
		return nil
	}
	m := &cpuMeter{server: serverPID}
	if h, ok := t.(helper); ok {
		m.helpers = h.HelperPIDs()
	}
	return m
}

// cpuUse is CPU time spent so far: in all, and by the helpers alone.
type cpuUse struct {
	total, helpers time.Duration
}

func (u cpuUse) minus(v cpuUse) cpuUse {
	return cpuUse{total: u.total - v.total, helpers: u.helpers - v.helpers}
}

// used is the CPU time spent so far, zero when unknown (or m is nil).
func (m *cpuMeter) used() cpuUse {
	if m == nil {
		return cpuUse{}
	}
	var u cpuUse
	for _, pid := range m.helpers {
		u.helpers += treeCPU(pid)
	}
	u.total = treeCPU(m.server) + u.helpers
	return u
}

// treeCPU is a process's CPU time, with that of its children: those reaped
// already (cutime, cstime) and those alive, recursively.
func treeCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command, which may hold spaces, in parentheses.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	f := strings.Fields(rest) // f[0] is field 3 (state): utime is field 14
	if len(f) < 15 {
		return 0
	}
	ticks := atoi(f[11]) + atoi(f[12]) + atoi(f[13]) + atoi(f[14])
	total := time.Duration(ticks) * clockTick
	for _, child := range childPIDs(pid) {
		total += treeCPU(child)
	}
	return total
}

// childPIDs lists a process's children, as the kernel keeps them per thread.
func childPIDs(pid int) []int {
	var kids []int
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(s); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// postmasterPID reads the pid of a PostgreSQL cluster's server.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}
