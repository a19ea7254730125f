package bench

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report is the markdown the run ends with.
type report struct {
	cfg  Config
	pin  Pinning
	runs []algRun // one per ID token algorithm, in -algs' order
	when time.Time
	// 1-minute load averages around the run: the benchmark itself adds
	// about 2 (server + load generator), more means others competed.
	loadBefore, loadAfter float64
}

// write prints the report, and saves it where -out says. Failures also go
// to the log, so they are seen even when the report is redirected.
func (r report) write() error {
	text := r.markdown()
	if _, err := io.WriteString(r.cfg.Stdout, text); err != nil {
		return err
	}
	if n := r.failures(); n > 0 {
		fmt.Fprintf(r.cfg.Log, "\n!!!!!!!! %d FAILURES — see ERRORS in the report; the figures are not valid !!!!!!!!\n\n", n)
	}
	return writeFile(r.cfg.Out, text)
}

func (r report) markdown() string {
	var b strings.Builder
	r.header(&b)
	for _, run := range r.runs {
		fmt.Fprintf(&b, "## ID tokens signed with %s\n\n", run.alg)
		run.notes(&b)
		run.scenarioTable(&b)
		run.mondayTable(&b, r.cfg)
		run.loadWarnings(&b, r.pin)
		run.serverTable(&b)
	}
	r.errorSection(&b)
	return b.String()
}

func (r report) header(b *strings.Builder) {
	fmt.Fprintf(b, "# coopgate-bench, %s\n\n", r.when.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b, "- each scenario: %v timed after %v warm-up, closed loop, %d workers (complete login: %d users); %s, %d CPUs\n",
		r.cfg.Duration, r.cfg.Warmup, r.cfg.Concurrency, r.cfg.Users, runtime.Version(), runtime.NumCPU())
	fmt.Fprintf(b, "- %s\n", r.pin)
	fmt.Fprintf(b, "- machine load average (1 min): %.2f before, %.2f after; the benchmark adds about 2, more means other processes competed and the figures are noisy\n",
		r.loadBefore, r.loadAfter)
	b.WriteString("- each algorithm is a run of its own: every server started afresh with its client's ID tokens signed with it\n")
	b.WriteString("- ratio = coopgate / peer: above 1 means coopgate serves more per second, or (memory, ready time) uses more\n\n")
}

// notes are the setup facts of this run's servers.
func (run algRun) notes(b *strings.Builder) {
	for _, s := range run.servers {
		for _, n := range s.notes {
			fmt.Fprintf(b, "- %s: %s\n", s.name, n)
		}
	}
	if len(run.servers) > 0 {
		b.WriteString("\n")
	}
}

func (run algRun) scenarioTable(b *strings.Builder) {
	b.WriteString("| scenario | coopgate req/s | p50 | p99 | CPU/op | peer req/s | p50 | p99 | CPU/op | ratio | ratio per CPU-s |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	cg, peer := run.server("coopgate"), run.server("peer")
	for _, name := range run.scenarioNames() {
		if name == mondayName {
			continue // a table of its own
		}
		c, p := cg.scenario(name), peer.scenario(name)
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", name, statCells(c), statCells(p),
			ratio(rateOf(c), rateOf(p)), ratio(cpuOf(p), cpuOf(c)))
	}
	b.WriteString("\n- CPU/op: CPU time the server spent per successful operation in the timed runs (coopgate: with its PostgreSQL), from /proc, with the database's share in brackets; unlike req/s it hardly depends on what else the machine runs. ratio per CPU-s = peer CPU/op ÷ coopgate CPU/op: above 1 means coopgate does more with a CPU-second.\n\n")
}

// cpuOf is a scenario's server CPU time per operation in seconds, NaN if unknown.
func cpuOf(s *stats) float64 {
	if s == nil || s.cpuPerOp().total <= 0 {
		return math.NaN()
	}
	return s.cpuPerOp().total.Seconds()
}

// busyLoad is the load generator's CPU share past which a figure may be
// the load generator's limit rather than the server's.
const busyLoad = 0.85

// mondayTable gives the Monday morning scenario per server: how many of
// the members got through, how long each waited, and when the last was done.
func (run algRun) mondayTable(b *strings.Builder, cfg Config) {
	cg, peer := run.server("coopgate").scenario(mondayName), run.server("peer").scenario(mondayName)
	if cg == nil && peer == nil {
		return
	}
	fmt.Fprintf(b, "| Monday morning: %d members arrive at random within %v, each one whole login (authorize → login form → password → code → token → userinfo) | coopgate | peer |\n|---|---:|---:|\n",
		cfg.Members, cfg.Window)
	rows := []struct {
		label string
		cell  func(*stats) string
	}{
		{"logged in", func(s *stats) string { return fmt.Sprint(s.requests) }},
		{"errors", func(s *stats) string { return fmt.Sprint(s.errorCount()) }},
		{"p50 of a member's whole login", func(s *stats) string { return fmtLatency(s.latency.quantile(0.5)) }},
		{"p99", func(s *stats) string { return fmtLatency(s.latency.quantile(0.99)) }},
		{"slowest", func(s *stats) string { return fmtLatency(s.latency.quantile(1)) }},
		{"first arrival → last member in", func(s *stats) string { return fmtLatency(s.elapsed) }},
		{"CPU per login (db)", func(s *stats) string { return cpuCell(s) }},
	}
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s | %s |\n", row.label, mondayCell(cg, row.cell), mondayCell(peer, row.cell))
	}
	b.WriteString("\n")
}

func mondayCell(s *stats, cell func(*stats) string) string {
	if s == nil {
		return "—"
	}
	return cell(s)
}

// loadWarnings names scenarios where the pinned load generator was nearly
// saturated: there a faster server could not have shown it.
func (run algRun) loadWarnings(b *strings.Builder, pin Pinning) {
	if !pin.Enabled {
		return
	}
	warned := false
	for _, s := range run.servers {
		for _, sc := range s.scenarios {
			if share := sc.stats.loadShare(); share > busyLoad {
				fmt.Fprintf(b, "- ⚠ %s / %s: the load generator was %.0f%% busy on its CPU; the figure may be its limit, not the server's\n",
					s.name, sc.name, 100*share)
				warned = true
			}
		}
	}
	if warned {
		b.WriteString("\n")
	}
}

func (run algRun) serverTable(b *strings.Builder) {
	cg, peer := run.server("coopgate"), run.server("peer")
	b.WriteString("| server | coopgate | peer | ratio |\n|---|---:|---:|---:|\n")
	row := func(label string, get func(*serverResult) (float64, bool), format func(float64) string) {
		cv, cok := get(cg)
		pv, pok := get(peer)
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", label, cell(cv, cok, format), cell(pv, pok, format), ratio(orNaN(cv, cok), orNaN(pv, pok)))
	}
	row("ready (process start → first good discovery)", readyOf, fmtMillis)
	row("RSS idle (VmRSS after ready + 1 s)", idleOf, fmtMiB)
	row("RSS peak (VmHWM at the end)", peakOf, fmtMiB)
	b.WriteString("\n")
}

func (r report) errorSection(b *strings.Builder) {
	if r.failures() == 0 {
		b.WriteString("Errors: none (0 in every scenario).\n")
		return
	}
	b.WriteString("## ERRORS\n\n")
	for _, run := range r.runs {
		for _, s := range run.servers {
			if s.err != nil {
				fmt.Fprintf(b, "- **%s (%s) could not be measured: %v**\n", s.name, run.alg, s.err)
			}
			for _, sc := range s.scenarios {
				for _, k := range sortedKinds(sc.stats.errors) {
					fmt.Fprintf(b, "- **%s (%s) / %s: %d × %s**\n", s.name, run.alg, sc.name, sc.stats.errors[k], k)
				}
			}
		}
	}
	b.WriteString("\n")
}

// failures counts failed operations and servers that could not be measured.
func (r report) failures() int {
	n := 0
	for _, run := range r.runs {
		for _, s := range run.servers {
			if s.err != nil {
				n++
			}
			for _, sc := range s.scenarios {
				n += sc.stats.errorCount()
			}
		}
	}
	return n
}

func (run algRun) server(name string) *serverResult {
	for i := range run.servers {
		if run.servers[i].name == name {
			return &run.servers[i]
		}
	}
	return nil
}

// scenarioNames lists the scenarios any server ran, in the order run.
func (run algRun) scenarioNames() []string {
	var names []string
	for _, s := range run.servers {
		for _, sc := range s.scenarios {
			if !slices.Contains(names, sc.name) {
				names = append(names, sc.name)
			}
		}
	}
	return names
}

func (s *serverResult) scenario(name string) *stats {
	if s == nil {
		return nil
	}
	for _, sc := range s.scenarios {
		if sc.name == name {
			return sc.stats
		}
	}
	return nil
}

// statCells is "req/s | p50 | p99 | CPU/op", marked when the scenario had errors.
func statCells(s *stats) string {
	if s == nil || s.requests == 0 {
		return "— | — | — | —"
	}
	mark := ""
	if s.errorCount() > 0 {
		mark = " ⚠"
	}
	return fmt.Sprintf("%.0f%s | %s | %s | %s", s.rate(), mark, fmtLatency(s.latency.quantile(0.5)),
		fmtLatency(s.latency.quantile(0.99)), cpuCell(s))
}

// cpuCell is the server's CPU time per operation, the database's share in
// brackets.
func cpuCell(s *stats) string {
	u := s.cpuPerOp()
	if u.total <= 0 {
		return "—"
	}
	cpu := fmtLatency(u.total)
	if u.helpers >= time.Microsecond {
		cpu += " (db " + fmtLatency(u.helpers) + ")"
	}
	return cpu
}

func rateOf(s *stats) float64 {
	if s == nil || s.requests == 0 {
		return math.NaN()
	}
	return s.rate()
}

func readyOf(s *serverResult) (float64, bool) {
	if s == nil || !s.started || s.err != nil {
		return 0, false
	}
	return float64(s.ready) / float64(time.Millisecond), true
}

func idleOf(s *serverResult) (float64, bool) {
	if s == nil {
		return 0, false
	}
	return mib(s.idle.RSS)
}

func peakOf(s *serverResult) (float64, bool) {
	if s == nil {
		return 0, false
	}
	return mib(s.end.HWM)
}

// mib converts KiB from /proc; 0 means it could not be read.
func mib(kib int64) (float64, bool) {
	return float64(kib) / 1024, kib > 0
}

func ratio(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 { // a side is missing
		return "—"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func cell(v float64, ok bool, format func(float64) string) string {
	if !ok {
		return "—"
	}
	return format(v)
}

func orNaN(v float64, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

func fmtMillis(ms float64) string { return fmt.Sprintf("%.0f ms", ms) }
func fmtMiB(mib float64) string   { return fmt.Sprintf("%.1f MiB", mib) }

func fmtLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func sortedKinds(m map[string]int) []string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return m[b] - m[a] })
	return kinds
}
