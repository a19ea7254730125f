package page

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gorilla/csrf"

	"github.com/coopgate/coopgate/internal/config"
	"github.com/coopgate/coopgate/internal/people"
)

// View is what the layout sees; Page is the page's own typed data.
type View struct {
	Coop      config.Coop
	Title     string
	Me        *people.Person
	CSRFField template.HTML
	Dev       bool
	Page      any
}

// Renderer renders pages: web/templates/layout.html around
// web/templates/<area>/<page>.html, each page parsed once at start.
type Renderer struct {
	pages map[string]*template.Template
	coop  config.Coop
	dev   bool
	log   *slog.Logger
}

// NewRenderer parses every page in fsys (web.Templates).
func NewRenderer(fsys fs.FS, coop config.Coop, dev bool, log *slog.Logger) (*Renderer, error) {
	rd := &Renderer{pages: map[string]*template.Template{}, coop: coop, dev: dev, log: log}
	files, err := fs.Glob(fsys, "templates/*/*.html")
	if err != nil {
		return nil, err
	}
	partials, _ := fs.Glob(fsys, "templates/partials/*.html")
	for _, f := range files {
		if strings.HasPrefix(f, "templates/partials/") {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		t := template.New(path.Base(f)).Funcs(funcs)
		t, err := t.ParseFS(fsys, append([]string{"templates/layout.html", f}, partials...)...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		rd.pages[name] = t
	}
	return rd, nil
}

var funcs = template.FuncMap{
	"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"datetime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"join":     strings.Join,
	"derefTime": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
}

// Render writes page name ("area/page") with data and status.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) error {
	t, ok := rd.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	v := View{Coop: rd.coop, Title: title, Me: Me(r.Context()), CSRFField: csrf.TemplateField(r), Dev: rd.dev, Page: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if w.Header().Get("Cache-Control") == "" {
		// Every page's layout names the logged-in person, and most pages
		// show more of them: no cache, shared or the browser's, keeps one.
		w.Header().Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// HandlerFunc is a page handler: it returns an error instead of writing one.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts fn: an error becomes a logged line and an error page that
// shows only the safe message.
func (rd *Renderer) Handle(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			rd.Fail(w, r, err)
		}
	})
}

// ErrorPage is the data of the error page.
type ErrorPage struct {
	Status    int
	Message   string
	RequestID string
}

// Fail logs err and renders the error page.
func (rd *Renderer) Fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := safe(err)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	rd.log.Log(r.Context(), level, "request failed", "status", status, "err", err.Error(),
		"path", r.URL.Path, "request_id", RequestID(r.Context()))
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", RetryAfter)
	}
	data := ErrorPage{Status: status, Message: msg, RequestID: RequestID(r.Context())}
	if rerr := rd.Render(w, r, status, "public/error", http.StatusText(status), data); rerr != nil {
		http.Error(w, msg, status)
	}
}

// RetryAfter is when a 503 asks the browser to come back, in seconds.
const RetryAfter = "60"

// Redirect sends the browser on with 303 See Other (after a POST, a GET).
func Redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// JSON writes body, a JSON document made for one person (a passkey
// ceremony's options): never cached.
func JSON(w http.ResponseWriter, body []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, err := w.Write(body)
	return err
}

// LocalPath is s if it is a path on this site ("/admin"), to go back to
// after a step; "" otherwise, so that no link can send a person elsewhere.
func LocalPath(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	return s
}
