package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// proxyWatch notices a reverse proxy coopgate has not been told about: one
// peer sending requests on behalf of many different X-Forwarded-For
// addresses. Behind it every client has the proxy's address, so the rate
// limits and login lockouts treat them all as one client. It is one
// process's observation, used only to warn (the log and /readyz); nothing is
// decided on it, so it needs no sharing between replicas.
//
// Anyone can send X-Forwarded-For, so the watch must not let a client raise
// the warning at will, nor have the operator trust a client's address:
//   - only peers on loopback or private networks are watched, where a proxy
//     in front of coopgate sits; a client from the internet is never one;
//   - the addresses must come within watchWindow, and the warning lapses
//     once its peer has sent none for quietFor;
//   - the warning says to trust the peer only if it is the operator's proxy.
type proxyWatch struct {
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	seen     map[string]*forwarded // peer → what it forwarded lately, until the warning
	warned   string                // the peer warned about, or ""
	warning  string
	lastSeen time.Time // the warned peer's latest forwarded request
}

// forwarded is what one peer forwarded since a time.
type forwarded struct {
	since   time.Time
	clients map[string]bool
}

// Bounds of the watch: how many forwarded-for addresses from one peer,
// within how long, make it a proxy; how many peers it keeps track of at
// once; and how long a warning outlives its peer's last such request.
const (
	proxyThreshold = 20
	watchWindow    = 10 * time.Minute
	watchedPeers   = 256
	quietFor       = 30 * time.Minute
)

func newProxyWatch(log *slog.Logger, now func() time.Time) *proxyWatch {
	return &proxyWatch{log: log, now: now, seen: map[string]*forwarded{}}
}

// sharedAddressSpace (RFC 6598) is where some platforms put their load
// balancers, beside the private networks.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// mayBeProxy reports whether peer is on a network a reverse proxy in front
// of coopgate would reach it from.
func mayBeProxy(peer string) bool {
	addr, err := netip.ParseAddr(peer)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	return addr.IsLoopback() || addr.IsPrivate() || sharedAddressSpace.Contains(addr)
}

// observe notes that peer, which is not a trusted proxy, forwarded a request
// for the addresses in xff.
func (p *proxyWatch) observe(ctx context.Context, peer, xff string) {
	client, _, _ := strings.Cut(xff, ",")
	client = strings.TrimSpace(client)
	if _, err := netip.ParseAddr(client); err != nil || !mayBeProxy(peer) {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.warning != "" {
		if peer == p.warned {
			p.lastSeen = now
		}
		return
	}
	f := p.seen[peer]
	if f == nil || now.Sub(f.since) > watchWindow {
		if len(p.seen) >= watchedPeers {
			clear(p.seen) // start over: a proxy shows itself again soon enough
		}
		f = &forwarded{since: now, clients: map[string]bool{}}
		p.seen[peer] = f
	}
	f.clients[client] = true
	if len(f.clients) < proxyThreshold {
		return
	}
	p.warned, p.lastSeen = peer, now
	p.warning = fmt.Sprintf("requests from %s carry X-Forwarded-For for %d different addresses, but trusted_proxies "+
		"does not include %s. If %s is your reverse proxy or load balancer, every client behind it counts as %s, so rate "+
		"limits and login lockouts treat them as one: add it to trusted_proxies (see docs/operations.md). If it is not "+
		"yours, something on your network sends made-up X-Forwarded-For headers: do not trust it.",
		peer, len(f.clients), peer, peer, peer)
	clear(p.seen)
	p.log.WarnContext(ctx, "untrusted proxy in front of coopgate", "peer", peer, "warning", p.warning)
}

// Warning is what the watch has noticed, or "" (nothing, or nothing from
// the peer it noticed for quietFor: the watch then starts over).
func (p *proxyWatch) Warning() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.warning != "" && p.now().Sub(p.lastSeen) > quietFor {
		p.warned, p.warning = "", ""
	}
	return p.warning
}
