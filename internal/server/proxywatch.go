package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
)

// proxyWatch notices a reverse proxy coopgate has not been told about: one
// peer sending requests on behalf of many different X-Forwarded-For
// addresses. Behind it every client has the proxy's address, so the rate
// limits and login lockouts treat them all as one client. It is one
// process's observation, used only to warn (the log and /readyz); nothing is
// decided on it, so it needs no sharing between replicas.
type proxyWatch struct {
	log *slog.Logger

	mu      sync.Mutex
	seen    map[string]map[string]bool // peer → forwarded-for addresses, until the warning
	warning string
}

// Bounds of the watch: how many forwarded-for addresses from one peer
// make it a proxy, and how many peers it keeps track of at once.
const (
	proxyThreshold = 20
	watchedPeers   = 256
)

func newProxyWatch(log *slog.Logger) *proxyWatch {
	return &proxyWatch{log: log, seen: map[string]map[string]bool{}}
}

// observe notes that peer, which is not a trusted proxy, forwarded a request
// for the addresses in xff.
func (p *proxyWatch) observe(ctx context.Context, peer, xff string) {
	client, _, _ := strings.Cut(xff, ",")
	if _, err := netip.ParseAddr(strings.TrimSpace(client)); err != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.warning != "" {
		return
	}
	clients := p.seen[peer]
	if clients == nil {
		if len(p.seen) >= watchedPeers {
			clear(p.seen) // start over: a proxy shows itself again soon enough
		}
		clients = map[string]bool{}
		p.seen[peer] = clients
	}
	clients[strings.TrimSpace(client)] = true
	if len(clients) < proxyThreshold {
		return
	}
	p.warning = fmt.Sprintf("requests from %s carry X-Forwarded-For for %d different addresses, but trusted_proxies does not "+
		"include %s: every client behind it counts as %s, so rate limits and login lockouts treat them as one. "+
		"Add the proxy's address to trusted_proxies (see docs/operations.md).", peer, len(clients), peer, peer)
	p.seen = nil
	p.log.WarnContext(ctx, "untrusted proxy in front of coopgate", "peer", peer, "warning", p.warning)
}

// Warning is what the watch has noticed, or "".
func (p *proxyWatch) Warning() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.warning
}
