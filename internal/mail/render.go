package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
	"time"
)

// CoopInfo is how every mail presents the co-op.
type CoopInfo struct {
	Name    string // "Example Co-op"
	URL     string // the gateway's address, "https://id.example.coop"
	Contact string // the secretary's address, for "who to contact"; may be empty
}

// Renderer turns a kind of mail and its data into a Message, from the
// templates in web/mail: NAME.subject.txt and NAME.txt (text/template) and
// NAME.html (html/template, which escapes everything a user typed), the
// bodies wrapped in layout.txt and layout.html.
type Renderer struct {
	coop  CoopInfo
	kinds map[string]kindTemplates
}

type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// view is what every template sees: {{.Coop.Name}}, {{.Data.Link}}.
type view struct {
	Coop    CoopInfo
	Subject string
	Data    Data
}

const templateDir = "mail"

// NewRenderer parses every mail template in fsys (which holds mail/*, as
// web.Mail does), so a broken or missing template stops the start.
func NewRenderer(fsys fs.FS, coop CoopInfo) (*Renderer, error) {
	subjects, err := fs.Glob(fsys, path.Join(templateDir, "*.subject.txt"))
	if err != nil || len(subjects) == 0 {
		return nil, fmt.Errorf("mail templates: none found in %s/", templateDir)
	}
	r := &Renderer{coop: coop, kinds: make(map[string]kindTemplates)}
	for _, file := range subjects {
		name := strings.TrimSuffix(path.Base(file), ".subject.txt")
		kt, err := parseKind(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("mail template %s: %w", name, err)
		}
		r.kinds[name] = kt
	}
	return r, nil
}

func parseKind(fsys fs.FS, name string) (kindTemplates, error) {
	file := func(suffix string) string { return path.Join(templateDir, name+suffix) }
	subject, err := texttemplate.New(name+".subject.txt").Funcs(funcs()).ParseFS(fsys, file(".subject.txt"))
	if err != nil {
		return kindTemplates{}, err
	}
	text, err := texttemplate.New("layout.txt").Funcs(funcs()).ParseFS(fsys, path.Join(templateDir, "layout.txt"), file(".txt"))
	if err != nil {
		return kindTemplates{}, err
	}
	html, err := htmltemplate.New("layout.html").Funcs(funcs()).ParseFS(fsys, path.Join(templateDir, "layout.html"), file(".html"))
	if err != nil {
		return kindTemplates{}, err
	}
	return kindTemplates{subject: subject, text: text, html: html}, nil
}

func funcs() map[string]any {
	return map[string]any{"duration": humanDuration, "button": newButton}
}

// button is what layout.html's "button" template shows: a call to action
// and the bare link for mail readers that hide buttons.
type button struct{ Link, Label string }

func newButton(link, label string) button { return button{Link: link, Label: label} }

// Render makes the message of d's kind for the address to.
func (r *Renderer) Render(to string, d Data) (Message, error) {
	kt, ok := r.kinds[d.template()]
	if !ok {
		return Message{}, fmt.Errorf("mail template %s: not loaded", d.template())
	}
	v := view{Coop: r.coop, Data: d}
	var subject, text, html bytes.Buffer
	if err := kt.subject.Execute(&subject, v); err != nil {
		return Message{}, fmt.Errorf("mail template %s subject: %w", d.template(), err)
	}
	v.Subject = oneLine(subject.String())
	if err := kt.text.Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("mail template %s text: %w", d.template(), err)
	}
	if err := kt.html.Execute(&html, v); err != nil {
		return Message{}, fmt.Errorf("mail template %s html: %w", d.template(), err)
	}
	return Message{To: to, Subject: v.Subject, Text: tidy(text.String()), HTML: html.String()}, nil
}

// tidy lets templates use plain line breaks around actions without leaving
// runs of blank lines in the mail.
func tidy(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	out := make([]string, 0, len(lines))
	for i, line := range lines {
		line = strings.TrimRight(line, " \t")
		if line == "" && i > 0 && out[len(out)-1] == "" {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n") + "\n"
}

// humanDuration says how long a link stays valid: "30 minutes", "24 hours",
// "7 days". Past two hours an odd length is told in whole hours, rounded
// down (a link cut short to the end of its sign-up: "23 hours").
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour || d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(int((d+time.Minute-1)/time.Minute), "minute")
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
