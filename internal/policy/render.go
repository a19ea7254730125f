package policy

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// render turns a policy's Markdown into HTML that is safe to put in a page.
// Safety comes from goldmark's defaults, which this keeps: raw HTML in the
// Markdown is dropped rather than passed through (no html.WithUnsafe), and
// attribute syntax is not enabled. On top of those, links and images whose
// address is not http, https, mailto or relative lose their address.
func render(markdown string) (template.HTML, error) {
	md := goldmark.New(goldmark.WithParserOptions(
		parser.WithASTTransformers(util.Prioritized(linkFilter{}, 1000)),
	))
	var buf bytes.Buffer
	if err := md.Convert([]byte(markdown), &buf); err != nil {
		return "", fmt.Errorf("rendering Markdown: %w", err)
	}
	// goldmark escaped all text and dropped raw HTML, so the output is ours.
	return template.HTML(buf.String()), nil
}

// linkFilter replaces a link or image whose address has a scheme other than
// http, https or mailto by its text, so a policy can carry no javascript:,
// data: or other surprising link whatever goldmark thinks dangerous.
type linkFilter struct{}

func (linkFilter) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var unsafe []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && !linkAllowed(n, source) {
			unsafe = append(unsafe, n)
		}
		return ast.WalkContinue, nil
	})
	// Replaced after the walk: changing the tree while walking it skips nodes.
	for _, n := range unsafe {
		unwrap(n, source)
	}
}

// linkAllowed reports whether n is not a link, or is one to an allowed
// address. It checks the address as the renderer will write it, after
// resolving entities and escapes, so "&#106;avascript:" is seen for what it is.
func linkAllowed(n ast.Node, source []byte) bool {
	switch n := n.(type) {
	case *ast.Link:
		return allowedURL(string(util.URLEscape(n.Destination, true)))
	case *ast.Image:
		return allowedURL(string(util.URLEscape(n.Destination, true)))
	case *ast.AutoLink:
		return n.AutoLinkType == ast.AutoLinkEmail || allowedURL(string(n.URL(source)))
	}
	return true
}

// allowedURL accepts a relative address or one whose scheme is http, https
// or mailto. Anything with a colon before its first "/", "?" or "#" has a
// scheme (or something a browser might take for one) and must be listed.
func allowedURL(u string) bool {
	end := strings.IndexAny(u, "/?#")
	if end < 0 {
		end = len(u)
	}
	colon := strings.IndexByte(u[:end], ':')
	if colon < 0 {
		return true
	}
	switch strings.ToLower(u[:colon]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// unwrap puts n's text where n was: a link's children, an image's alt text,
// an autolink's label.
func unwrap(n ast.Node, source []byte) {
	parent := n.Parent()
	if auto, ok := n.(*ast.AutoLink); ok {
		parent.ReplaceChild(parent, n, ast.NewString(auto.Label(source)))
		return
	}
	for child := n.FirstChild(); child != nil; {
		next := child.NextSibling()
		parent.InsertBefore(parent, n, child)
		child = next
	}
	parent.RemoveChild(parent, n)
}
