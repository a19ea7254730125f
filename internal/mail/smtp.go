package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"fmt"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"github.com/coopgate/coopgate/internal/config"
)

// SMTPSender delivers through the configured mail server, one connection per
// message (the queue sends one message per job, and a fresh client per send
// keeps concurrent jobs from sharing a connection).
type SMTPSender struct {
	host    string
	from    string
	options []gomail.Option
}

// NewSMTPSender checks cfg and makes a sender. tlsConfig is nil in
// production (the system's roots verify cfg.Host); tests pass one that
// trusts their self-signed certificate.
func NewSMTPSender(cfg config.SMTP, tlsConfig *tls.Config) (*SMTPSender, error) {
	options, err := clientOptions(cfg, tlsConfig)
	if err != nil {
		return nil, err
	}
	// Build a client once so a bad setting fails at start, not at the first mail.
	if _, err := gomail.NewClient(cfg.Host, options...); err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return &SMTPSender{host: cfg.Host, from: cfg.From, options: options}, nil
}

func clientOptions(cfg config.SMTP, tlsConfig *tls.Config) ([]gomail.Option, error) {
	mode, err := tlsOption(cfg)
	if err != nil {
		return nil, err
	}
	options := []gomail.Option{
		mode,
		gomail.WithTLSConfig(clientTLS(cfg.Host, tlsConfig)),
		gomail.WithPort(port(cfg)),
	}
	if cfg.Username != "" {
		// Autodiscover picks the strongest mechanism the server offers and
		// never sends a password in the clear on an unencrypted connection.
		options = append(options,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password))
	}
	return options, nil
}

func tlsOption(cfg config.SMTP) (gomail.Option, error) {
	switch cfg.TLS {
	case "starttls", "":
		// Mandatory: a server (or a man in the middle) that does not offer
		// STARTTLS gets no mail, rather than single-use links in the clear.
		return gomail.WithTLSPolicy(gomail.TLSMandatory), nil
	case "tls":
		return gomail.WithSSL(), nil
	case "none":
		if !config.IsLoopbackHost(cfg.Host) {
			return nil, &config.Error{Problems: []string{
				"smtp.tls: none (unencrypted SMTP) is allowed only to localhost, 127.0.0.1 or ::1; use starttls or tls",
			}}
		}
		return gomail.WithTLSPolicy(gomail.NoTLS), nil
	}
	return nil, &config.Error{Problems: []string{"smtp.tls: must be one of starttls, tls, none"}}
}

func clientTLS(host string, injected *tls.Config) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if injected != nil {
		cfg = injected.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	return cfg
}

func port(cfg config.SMTP) int {
	switch {
	case cfg.Port != 0:
		return cfg.Port
	case cfg.TLS == "tls":
		return 465
	case cfg.TLS == "none":
		return 25
	default:
		return 587
	}
}

// Send delivers msg now. A failure is a *DeliveryError that says whether it
// is permanent.
func (s *SMTPSender) Send(ctx context.Context, msg Message) error {
	m, err := s.build(msg)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, m); err != nil {
		return deliveryError(err, msg.To)
	}
	return nil
}

func (s *SMTPSender) build(msg Message) (*gomail.Msg, error) {
	if err := msg.Validate(); err != nil {
		return nil, &DeliveryError{Permanent: true, text: err.Error(), err: err}
	}
	m := gomail.NewMsg()
	if err := m.From(s.from); err != nil {
		return nil, fmt.Errorf("smtp.from: %w", err)
	}
	if err := m.To(msg.To); err != nil {
		err = fmt.Errorf("%w: recipient: %w", ErrInvalidMessage, err)
		return nil, &DeliveryError{Permanent: true, text: redact(err.Error(), msg.To), err: ErrInvalidMessage}
	}
	m.SetMessageIDWithValue(messageID(s.from))
	m.SetDate()
	// Automatic mail: ask vacation responders not to answer (RFC 3834).
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetUserAgent("coopgate")
	m.Subject(oneLine(msg.Subject))
	m.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return m, nil
}

// messageID uses the sender's domain, not this host's name: replicas have
// throwaway host names, and some filters check that the two match.
func messageID(from string) string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	random := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	return random + "@" + domainOf(from)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
