// Package mailtest is a real SMTP server on loopback for tests: it speaks
// SMTP on the wire (go-smtp), optionally with STARTTLS, implicit TLS and
// AUTH, parses every message it accepts, and can be told to refuse mail or
// to be down, so tests see what a real mail server would do to coopgate.
//
//	srv := mailtest.Start(t)
//	// ... point coopgate's smtp config at srv.Host(), srv.Port(), tls "none" ...
//	msg := srv.WaitFor(t, "ada@example.org", 5*time.Second)
//	link := mailtest.FindLink(msg.Text, "http://127.0.0.1:8080/verify")
//
// It is for tests only: it keeps every message in memory.
package mailtest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Server is a running catcher. Its methods are safe for concurrent use.
type Server struct {
	smtp      *smtp.Server
	addr      *net.TCPAddr
	implicit  *tls.Config
	user      string
	password  string
	reportErr func(format string, args ...any)

	mu         sync.Mutex
	messages   []Message
	taken      []bool        // taken[i]: messages[i] was returned by WaitFor
	arrived    chan struct{} // closed, and replaced, when a message arrives
	attempts   int
	refusals   int
	refuseNext int
	refuseCode int
	down       bool
}

// Option configures a Server at Start.
type Option func(*Server)

// WithSTARTTLS makes the server offer STARTTLS with cfg (see SelfSigned).
func WithSTARTTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.smtp.TLSConfig = cfg }
}

// WithImplicitTLS makes the server speak TLS from the first byte, as on port 465.
func WithImplicitTLS(cfg *tls.Config) Option {
	return func(s *Server) { s.implicit = cfg }
}

// WithAuth makes the server require AUTH PLAIN with these credentials
// before it accepts mail. It offers AUTH only on an encrypted connection, as
// real servers do.
func WithAuth(username, password string) Option {
	return func(s *Server) { s.user, s.password = username, password }
}

// Start listens on 127.0.0.1 on a free port and stops when t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{arrived: make(chan struct{}), reportErr: t.Errorf}
	s.smtp = smtp.NewServer(backend{s})
	s.smtp.Domain = "mailtest.localhost"
	s.smtp.ReadTimeout = 10 * time.Second
	s.smtp.WriteTimeout = 10 * time.Second
	s.smtp.MaxMessageBytes = 10 << 20
	s.smtp.ErrorLog = log.New(io.Discard, "", 0) // a client hanging up is not a test failure
	for _, opt := range opts {
		opt(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	s.addr = ln.Addr().(*net.TCPAddr)
	var l net.Listener = &switchableListener{Listener: ln, server: s}
	if s.implicit != nil {
		l = tls.NewListener(l, s.implicit)
	}
	go s.smtp.Serve(l) //nolint:errcheck // returns when Close is called
	t.Cleanup(func() { _ = s.smtp.Close() })
	return s
}

// Addr is the server's "127.0.0.1:port".
func (s *Server) Addr() string { return s.addr.String() }

// Host is "127.0.0.1", for config.SMTP.Host.
func (s *Server) Host() string { return s.addr.IP.String() }

// Port is the server's port, for config.SMTP.Port.
func (s *Server) Port() int { return s.addr.Port }

// Messages returns every message accepted so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Attempts counts delivery attempts (RCPT TO commands), refused or not.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// Refusals counts the recipients refused because of RefuseNext.
func (s *Server) Refusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refusals
}

// RefuseNext makes the server answer the next n recipients (RCPT TO) with the
// SMTP reply code instead of accepting them: 421 or 451 for a temporary
// failure (a sender should retry), 550 for "no such mailbox" (it should not).
func (s *Server) RefuseNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseNext, s.refuseCode = n, code
}

// SetDown makes the server hang up on every new connection before it greets,
// as an unreachable or crashed server would look to a client, until SetDown(false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *Server) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// WaitFor returns the oldest message addressed to `to` (envelope recipient,
// compared case-insensitively) that no earlier WaitFor returned, waiting up
// to timeout for it to arrive; it fails t if none does. So a test that expects
// two mails to the same person calls WaitFor twice.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		msg, ok, arrived := s.take(to)
		if ok {
			return msg
		}
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: no mail to %s within %v (%d messages received in all, %d delivery attempts)",
				to, timeout, len(s.Messages()), s.Attempts())
			return Message{}
		}
	}
}

// take finds and marks the oldest untaken message to `to`; if there is none
// it returns the channel that is closed when the next message arrives.
func (s *Server) take(to string) (Message, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, m := range s.messages {
		if !s.taken[i] && m.sentTo(to) {
			s.taken[i] = true
			return m, true, nil
		}
	}
	return Message{}, false, s.arrived
}

func (s *Server) deliver(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	s.taken = append(s.taken, false)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// admit counts a delivery attempt and says whether to refuse it.
func (s *Server) admit() *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.refuseNext <= 0 {
		return nil
	}
	s.refuseNext--
	s.refusals++
	return refusal(s.refuseCode)
}

func refusal(code int) *smtp.SMTPError {
	switch {
	case code == 550:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here (mailtest)"}
	case code >= 500:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{5, 0, 0}, Message: "Refused (mailtest)"}
	default:
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later (mailtest, code " + strconv.Itoa(code) + ")"}
	}
}

// switchableListener hangs up on connections while the server is down. The
// port stays bound, so a test's config stays valid across an outage.
type switchableListener struct {
	net.Listener
	server *Server
}

func (l *switchableListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.server.isDown() {
			return c, err
		}
		_ = c.Close()
	}
}

func equalFoldTrim(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, "<> "), strings.Trim(b, "<> "))
}
