// Package pgcluster runs a private PostgreSQL cluster from the system's
// PostgreSQL binaries: the database of `coopgate dev`, of the test suite and of
// the benchmarks. It is not for production, where the sysadmin runs PostgreSQL.
//
// PostgreSQL refuses to run as root, so when coopgate runs as root the cluster's
// files belong to, and its processes run as, the `postgres` OS user.
package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options tune a cluster for its use.
type Options struct {
	// Port to listen on at 127.0.0.1; 0 picks a free one (remembered in the
	// data folder so that a restarted dev cluster keeps its URL).
	Port int
	// Durable=false turns off fsync and friends: for throwaway test clusters.
	Durable bool
	// Settings are extra `-c name=value` server settings.
	Settings map[string]string
}

// Cluster is a running PostgreSQL server whose data lives in Dir.
type Cluster struct {
	Dir    string
	Port   int
	cmd    *exec.Cmd     // the server, a child process of ours
	exited chan struct{} // closed when the server process has exited
	bin    string
	cred   *syscall.Credential
}

// Superuser is the role initdb creates; connections from 127.0.0.1 are trusted.
const Superuser = "coopgate"

// URL is the connection URL of database name on the cluster.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, c.Port, name)
}

// Start initialises dir if it holds no cluster yet and starts the server as a
// child process that is stopped when this process exits, however it exits.
func Start(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, bin: bin, cred: cred}
	if err := c.initdb(ctx); err != nil {
		return nil, err
	}
	if c.Port, err = c.choosePort(opts.Port); err != nil {
		return nil, err
	}
	if err := c.start(opts); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// binDir finds initdb: on PATH, or in the newest /usr/lib/postgresql/*/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("pgcluster: PostgreSQL server binaries not found (install postgresql, e.g. `apt-get install postgresql`)")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// serverCredential is nil unless we are root, in which case the server runs as
// the postgres OS user.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root needs the postgres OS user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "TZ=UTC")
	return cmd
}

func (c *Cluster) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err == nil {
		return nil
	}
	// The parents must stay reachable by the postgres user; only the data
	// folder itself is private.
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Mkdir(c.Dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := c.chown(c.Dir); err != nil {
		return err
	}
	cmd := c.command("initdb", "-D", c.Dir, "-U", Superuser, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
	if out, err := cmd.CombinedOutput(); err != nil {
		hint := ""
		if c.cred != nil && strings.Contains(string(out), "Permission denied") {
			hint = "\nhint: PostgreSQL runs as the postgres OS user, which must be able to reach " + c.Dir +
				": give every parent folder o+x (e.g. chmod o+x on each), or use a data folder elsewhere"
		}
		return fmt.Errorf("pgcluster: initdb %s: %w\n%s%s", c.Dir, err, out, hint)
	}
	return nil
}

func (c *Cluster) chown(path string) error {
	if c.cred == nil {
		return nil
	}
	if err := os.Chown(path, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
		return fmt.Errorf("pgcluster: giving %s to the postgres user: %w", path, err)
	}
	return nil
}

// choosePort keeps the port a cluster had before, so a dev URL stays stable.
func (c *Cluster) choosePort(want int) (int, error) {
	portFile := filepath.Join(c.Dir, "coopgate.port")
	if want == 0 {
		if b, err := os.ReadFile(portFile); err == nil {
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && portFree(p) {
				return p, nil
			}
		}
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		want = p
	}
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(want)), 0o600); err != nil {
		return 0, fmt.Errorf("pgcluster: %w", err)
	}
	return want, c.chown(portFile)
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgcluster: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) start(opts Options) error {
	// A server left over from a process that was killed before it could stop it.
	if b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0]); err == nil && syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGINT)
			waitGone(pid, 10*time.Second)
		}
	}
	args := []string{"-D", c.Dir, "-p", strconv.Itoa(c.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
		"-c", "max_connections=300", "-c", "log_min_messages=warning"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	for k, v := range opts.Settings {
		args = append(args, "-c", k+"="+v)
	}
	cmd := c.command("postgres", args...)
	// SIGINT is PostgreSQL's fast shutdown: when we die, so does our server.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	cmd.SysProcAttr.Setpgid = true // a Ctrl-C to our terminal is ours to handle
	logPath := filepath.Join(c.Dir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("pgcluster: starting postgres: %w", err)
	}
	c.cmd, c.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(c.exited) }()
	return nil
}

func waitGone(pid int, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && syscall.Kill(pid, 0) == nil {
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port))
	for time.Now().Before(deadline) {
		if c.command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", Superuser).Run() == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.exited:
			deadline = time.Now()
		case <-time.After(100 * time.Millisecond):
		}
	}
	log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
	return fmt.Errorf("pgcluster: server at %s did not become ready; its log:\n%s", addr, tail(string(log), 2000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Stop shuts the server down (fast shutdown) and waits for it to exit.
func (c *Cluster) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
	}
}

// ReachableDir returns dir if the server's OS user can reach it, or else a
// stable stand-in under /var/tmp named for dir, so a checkout under a
// private home folder (root's is 0700) still gets a cluster that survives
// restarts. note says why when the stand-in is used.
func ReachableDir(dir string) (path, note string, err error) {
	cred, err := serverCredential()
	if err != nil || cred == nil {
		return dir, "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", "", fmt.Errorf("pgcluster: %w", err)
	}
	probe := exec.Command("/bin/sh", "-c", `cd "$1"`, "sh", filepath.Dir(dir))
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if probe.Run() == nil {
		return dir, "", nil
	}
	sum := sha256.Sum256([]byte(dir))
	alt := filepath.Join("/var/tmp", "coopgate-pg-"+hex.EncodeToString(sum[:6]))
	return alt, fmt.Sprintf("the postgres user cannot reach %s, so the database lives in %s", dir, alt), nil
}
