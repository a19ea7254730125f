package app_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/coopgate/coopgate/internal/apptest"
	"github.com/coopgate/coopgate/internal/config"
)

// The profiler is for the operator on the private metrics listener, never
// for the public one.
func TestProfilerOnlyOnTheMetricsListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := ln.Addr().String()
	ln.Close()
	g := apptest.Start(t, func(c *config.Config) { c.MetricsListen = metricsAddr })

	for _, tc := range []struct {
		url      string
		wantOK   bool
		wantText string
	}{
		{"http://" + metricsAddr + "/debug/pprof/", true, "goroutine"},
		{"http://" + metricsAddr + "/debug/pprof/goroutine?debug=1", true, "goroutine profile"},
		{"http://" + metricsAddr + "/metrics", true, "coopgate_"},
		{g.URL + "/debug/pprof/", false, "goroutine"},
		{g.URL + "/debug/pprof/goroutine?debug=1", false, "goroutine profile"},
		{g.URL + "/metrics", false, "coopgate_"},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		served := resp.StatusCode == http.StatusOK && strings.Contains(string(body), tc.wantText)
		if served != tc.wantOK {
			t.Errorf("GET %s: status %d, served = %v; want %v", tc.url, resp.StatusCode, served, tc.wantOK)
		}
	}
}
