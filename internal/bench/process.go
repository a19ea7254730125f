package bench

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// notePrefix marks a line a server prints for the report.
const notePrefix = "bench-note: "

// serverProcess is a server the benchmark launched and must stop.
type serverProcess struct {
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
	mu    sync.Mutex
	notes []string
}

// startServer launches argv in dir, pinned as pin says, with env added to
// ours. Lines the server prints go to log prefixed by name, except
// bench-note lines, which are kept for the report. With taskset the pid is
// still the server's own: taskset execs it.
func startServer(dir string, env []string, pin Pinning, log io.Writer, name string, argv ...string) (*serverProcess, error) {
	argv = pin.serverArgv(argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = &prefixWriter{w: log, prefix: name + "| "}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}
	p := &serverProcess{cmd: cmd, done: make(chan struct{})}
	go p.scan(stdout, log, name)
	return p, nil
}

// scan reads the server's stdout until it closes, then reaps the process.
func (p *serverProcess) scan(r io.Reader, log io.Writer, name string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if note, ok := strings.CutPrefix(line, notePrefix); ok {
			p.mu.Lock()
			p.notes = append(p.notes, note)
			p.mu.Unlock()
			continue
		}
		fmt.Fprintf(log, "%s| %s\n", name, line)
	}
	_ = p.cmd.Wait()
	close(p.done)
}

func (p *serverProcess) PID() int { return p.cmd.Process.Pid }

func (p *serverProcess) Notes() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.notes...)
}

// Stop asks the server to shut down and kills it if it has not within 5 s.
func (p *serverProcess) Stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := p.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill %d: %w", p.PID(), err)
	}
	<-p.done
	return nil
}

// prefixWriter prefixes each write (a server's stderr arrives in lines,
// near enough, for a log meant to be read by a person).
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	if _, err := fmt.Fprintf(pw.w, "%s%s", pw.prefix, b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// freePort asks the kernel for a loopback port nobody is using now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// memory is a process's resident set as /proc reports it, in KiB.
type memory struct {
	RSS int64 // VmRSS: now
	HWM int64 // VmHWM: the peak since the process started
}

// readMemory reads /proc/PID/status; the kernel keeps VmHWM for us, so no
// sampling can miss a short peak.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, err
	}
	var m memory
	for line := range strings.Lines(string(b)) {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch key {
		case "VmRSS":
			m.RSS = parseKiB(val)
		case "VmHWM":
			m.HWM = parseKiB(val)
		}
	}
	return m, nil
}

func parseKiB(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "kB")), 10, 64)
	return n
}
