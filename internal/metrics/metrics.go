// Package metrics exposes coopgate's Prometheus metrics on their own listen
// address: logins by outcome, sign-ups, admissions by rule, tokens issued by
// grant, the job queue, and HTTP latency by route. Labels never carry
// personal data: routes are patterns, not paths.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds coopgate's collectors on a registry of its own.
type Metrics struct {
	reg        *prometheus.Registry
	logins     *prometheus.CounterVec
	signUps    prometheus.Counter
	admissions *prometheus.CounterVec
	tokens     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
}

// New registers the collectors; pool feeds the job-queue gauges.
func New(pool *pgxpool.Pool) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopgate_logins_total",
			Help: "Password logins by outcome (success, failure, throttled, locked)."}, []string{"outcome"}),
		signUps: prometheus.NewCounter(prometheus.CounterOpts{Name: "coopgate_signups_total", Help: "Sign-ups accepted."}),
		admissions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopgate_admissions_total",
			Help: "People admitted, by rule (allowed_domain, member_register, secretary, enrolled)."}, []string{"rule"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "coopgate_tokens_issued_total",
			Help: "Access tokens issued, by grant (authorization_code, refresh_token)."}, []string{"grant"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "coopgate_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern and status class.", Buckets: prometheus.DefBuckets},
			[]string{"route", "method", "code"}),
	}
	m.reg.MustRegister(m.logins, m.signUps, m.admissions, m.tokens, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&jobCollector{pool: pool})
	return m
}

// Login counts a login attempt's outcome.
func (m *Metrics) Login(outcome string) { m.logins.WithLabelValues(outcome).Inc() }

// SignUp counts a sign-up.
func (m *Metrics) SignUp() { m.signUps.Inc() }

// Admitted counts an admission by the rule that admitted.
func (m *Metrics) Admitted(rule string) { m.admissions.WithLabelValues(rule).Inc() }

// TokenIssued counts an access token by grant.
func (m *Metrics) TokenIssued(grant string) { m.tokens.WithLabelValues(grant).Inc() }

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

// Route names the route of a request for the latency histogram.
type Route func(r *http.Request) string

// Middleware observes each request's latency under its route pattern.
func (m *Metrics) Middleware(route Route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &codeRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.latency.WithLabelValues(route(r), r.Method, strconv.Itoa(rec.code/100)+"xx").Observe(time.Since(start).Seconds())
	})
}

type codeRecorder struct {
	http.ResponseWriter
	code int
	set  bool
}

func (c *codeRecorder) WriteHeader(code int) {
	if !c.set {
		c.code, c.set = code, true
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *codeRecorder) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// jobCollector reads River's queue at scrape time, so every replica reports
// the shared queue, not a copy of its own.
type jobCollector struct{ pool *pgxpool.Pool }

var jobsDesc = prometheus.NewDesc("coopgate_jobs", "Jobs in River's queue by kind and state (available, retryable, running, scheduled, discarded, cancelled).",
	[]string{"kind", "state"}, nil)

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT kind, state::text, count(*) FROM river_job WHERE state <> 'completed' GROUP BY kind, state`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(jobsDesc, err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var n float64
		if rows.Scan(&kind, &state, &n) == nil {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, n, kind, state)
		}
	}
}
