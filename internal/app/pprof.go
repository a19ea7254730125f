package app

import (
	"net/http"
	"net/http/pprof"
)

// withProfiler adds Go's profiler (/debug/pprof/) beside /metrics on the
// private metrics listener: where the server spends its time under real
// load is then measurable on the real process (cmd/coopgate-bench's
// -profile-dir), at no cost until a profile is asked for. It must never be
// mounted on the public listener: profiles show the program's internals.
func withProfiler(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", metrics)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // also heap, goroutine, allocs…
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}
