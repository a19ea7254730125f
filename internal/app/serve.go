package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/coopgate/coopgate/internal/lockout"
	"github.com/coopgate/coopgate/internal/ratelimit"
	"github.com/coopgate/coopgate/internal/server"
	"github.com/coopgate/coopgate/internal/web/account"
	"github.com/coopgate/coopgate/internal/web/admin"
	"github.com/coopgate/coopgate/internal/web/factors"
	"github.com/coopgate/coopgate/internal/web/federation"
	"github.com/coopgate/coopgate/internal/web/login"
	"github.com/coopgate/coopgate/internal/web/page"
	"github.com/coopgate/coopgate/internal/web/public"
	"github.com/coopgate/coopgate/internal/web/signup"
	"github.com/coopgate/coopgate/web"
)

// Handler assembles the HTTP handler with every area of the site.
func (a *App) Handler() (http.Handler, error) {
	render, err := page.NewRenderer(web.Templates, a.Config.Coop, a.Config.Dev, a.Log)
	if err != nil {
		return nil, err
	}
	a.Render = render
	limiter := ratelimit.New(a.Pool)
	areas := []server.Area{
		&public.Handler{Pool: a.Pool, Render: render},
		&login.Handler{Pool: a.Pool, Render: render, Sessions: a.Sessions, Provider: a.Provider,
			Guard: lockout.New(a.Pool, time.Now), Devices: a.Devices, Factors: a.Factors, Log: a.Log, Now: time.Now, Metrics: a.Metrics},
		&account.Handler{Pool: a.Pool, Render: render, Admission: a.Admission, Membership: a.Membership.Policy, Limiter: limiter, Now: time.Now},
		&factors.Handler{Render: render, Sessions: a.Sessions, Factors: a.Factors, Log: a.Log, Now: time.Now},
		&admin.Handler{Pool: a.Pool, Render: render, Admission: a.Admission, Downstream: a.Downstream, Membership: a.Membership,
			Factors: a.Factors, Log: a.Log},
		&federation.Handler{Pool: a.Pool, Render: render, Federation: a.Federation, Log: a.Log},
		&signup.Handler{Pool: a.Pool, Render: render, Sessions: a.Sessions, Admission: a.Admission, Provider: a.Provider,
			Limiter: limiter, Devices: a.Devices, Log: a.Log, Now: time.Now, Dev: a.Config.Dev},
	}
	return server.New(server.Deps{
		Config: a.Config, Pool: a.Pool, Log: a.Log, Provider: a.Provider,
		Render: render, Sessions: a.Sessions, Areas: areas, Metrics: a.Metrics, Extra: a.downstreamRoutes(),
	})
}

// Serve listens on the configured address and works jobs until ctx ends,
// then lets in-flight requests and jobs finish.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	handler, err := a.Handler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if err := a.Jobs.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	metricsSrv, err := a.serveMetrics(errc)
	if err != nil {
		return err
	}
	defer metricsSrv.Close()
	a.Log.Info("coopgate serving", "issuer", a.Config.Issuer, "listen", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	return a.shutdown(srv)
}

// serveMetrics serves /metrics and /debug/pprof/ on metrics_listen, apart from
// the public listener so that it need not be exposed. An empty address serves nothing.
func (a *App) serveMetrics(errc chan<- error) (*http.Server, error) {
	srv := &http.Server{Handler: withProfiler(a.Metrics.Handler()), ReadHeaderTimeout: 10 * time.Second}
	if a.Config.MetricsListen == "" {
		return srv, nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen: %w", err)
	}
	go func() { errc <- srv.Serve(ln) }()
	return srv, nil
}

func (a *App) shutdown(srv *http.Server) error {
	a.Log.Info("shutting down: finishing requests and jobs")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if jerr := a.Jobs.Stop(ctx); jerr != nil && !errors.Is(jerr, context.Canceled) {
		err = errors.Join(err, jerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
