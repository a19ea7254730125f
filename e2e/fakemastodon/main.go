// Command fakemastodon serves the Mastodon fake of the Go tests
// (internal/downstream/mastodon/mastodontest) as a process of its own, for
// the browser journeys: coopgate serve talks to it as to a real Mastodon,
// and a journey reads or changes its domain blocks through the same admin
// API, with the same token, as Mastodon's own admin pages would behind
// coopgate's back. Its state lives in memory and ends with the process.
//
//	FAKEMASTODON_TOKEN=… fakemastodon --listen 127.0.0.1:PORT
package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/coopgate/coopgate/internal/downstream/mastodon/mastodontest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fakemastodon:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	token := os.Getenv("FAKEMASTODON_TOKEN")
	if token == "" {
		return errors.New("FAKEMASTODON_TOKEN is not set: the admin token the fake accepts")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Printf("fakemastodon listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mastodontest.New(token).Handler(), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
