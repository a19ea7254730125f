package bench

import (
	"fmt"
	"strconv"
)

// Pinning says which CPU the servers and which the load generator run on,
// so that neither steals the other's time and the figures measure the
// server alone on one core.
type Pinning struct {
	Enabled   bool
	ServerCPU int
	LoadCPU   int
	Why       string // why pinning is off, when it is
}

// serverArgv wraps a server's command line in taskset when pinning.
func (p Pinning) serverArgv(argv []string) []string {
	if !p.Enabled {
		return argv
	}
	return append([]string{"taskset", "-c", strconv.Itoa(p.ServerCPU)}, argv...)
}

func (p Pinning) String() string {
	if !p.Enabled {
		return "not pinned: " + p.Why + " (server and load generator share the CPUs)"
	}
	return fmt.Sprintf("servers pinned to CPU %d (taskset -c %d), load generator to CPU %d (sched_setaffinity, GOMAXPROCS=1)",
		p.ServerCPU, p.ServerCPU, p.LoadCPU)
}
