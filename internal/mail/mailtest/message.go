package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one message as the server received and decoded it.
type Message struct {
	From     string      // envelope sender (MAIL FROM)
	To       []string    // envelope recipients (RCPT TO)
	TLS      bool        // it arrived over an encrypted connection
	AuthUser string      // who logged in with AUTH, "" if nobody
	Header   mail.Header // the headers as sent (Header.Get("Message-Id") etc.)
	Subject  string      // the Subject header, decoded
	Text     string      // the text/plain body, transfer encoding undone, lines ending in \n
	HTML     string      // the text/html body, likewise
}

func (m Message) sentTo(addr string) bool {
	for _, to := range m.To {
		if equalFoldTrim(to, addr) {
			return true
		}
	}
	return false
}

func parse(raw []byte) (Message, error) {
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if err != nil {
		return Message{}, fmt.Errorf("subject: %w", err)
	}
	m := Message{Header: parsed.Header, Subject: subject}
	err = m.readPart(parsed.Header.Get("Content-Type"), parsed.Header.Get("Content-Transfer-Encoding"), parsed.Body)
	return m, err
}

// readPart fills Text and HTML from a part, descending into multiparts
// (alternative inside mixed, and so on).
func (m *Message) readPart(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		return m.readMultipart(multipart.NewReader(body, params["boundary"]))
	}
	content, err := io.ReadAll(decode(encoding, body))
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	// Line ends as a Go test writes them, not as SMTP carries them.
	text := strings.ReplaceAll(string(content), "\r\n", "\n")
	switch mediaType {
	case "text/plain":
		m.Text = text
	case "text/html":
		m.HTML = text
	}
	return nil
}

func (m *Message) readMultipart(r *multipart.Reader) error {
	for {
		// NextRawPart: the part's own Content-Transfer-Encoding header is
		// kept, so decode sees it (NextPart would hide quoted-printable).
		part, err := r.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("multipart: %w", err)
		}
		err = m.readPart(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part)
		if err != nil {
			return err
		}
	}
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r) // it skips line breaks itself
	default:
		return r
	}
}
