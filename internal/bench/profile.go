package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// profiler is a target that serves a CPU profile of itself (Go's pprof),
// so that a figure can be explained by where the server spent its time.
type profiler interface {
	ProfileURL() string // empty when the server offers none
}

// startProfile asks the server for a CPU profile covering the next d and
// saves it as dir/<target>-<key>.pprof. The returned func waits for it.
// Profiling costs the server a little (a signal every 10 ms), so it is
// only done when -profile-dir asks, never in the figures of a plain run.
func startProfile(ctx context.Context, t Target, dir, key string, d time.Duration, log io.Writer) (wait func()) {
	p, ok := t.(profiler)
	if dir == "" || !ok || p.ProfileURL() == "" {
		return func() {}
	}
	seconds := int(math.Ceil(d.Seconds()))
	path := filepath.Join(dir, t.Name()+"-"+key+".pprof")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := fetchProfile(ctx, p.ProfileURL(), seconds, path); err != nil {
			fmt.Fprintf(log, "%s: profile of %s: %v\n", t.Name(), key, err)
		}
	}()
	return func() { <-done }
}

func fetchProfile(ctx context.Context, u string, seconds int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(seconds+30)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"?seconds="+strconv.Itoa(seconds), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
