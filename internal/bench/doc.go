// Package bench measures an OIDC provider under load and, in the same run,
// panva's oidc-provider (the "peer", an OpenID Certified implementation set
// up alike in bench/peer), so that every figure is also a ratio.
//
// It owns the closed-loop load generator, the browser-like login driver,
// starting and pinning the servers, the CPU and memory accounting, and the
// markdown report. It sees every server only through HTTP, as a relying
// party does: it must not import coopgate's own packages, or the comparison
// with the peer would be unfair. The one exception is setup, before any
// clock runs: internal/pgcluster gives coopgate its private PostgreSQL;
// coopgate itself is built and migrated through its own binary, and seeded
// by `coopgate-bench seed` (internal/bench/seed), which this package runs
// as a separate process.
package bench
