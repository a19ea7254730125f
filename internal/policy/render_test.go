package policy

import (
	"strings"
	"testing"
)

func TestRenderNeverPassesRawHTML(t *testing.T) {
	tests := []struct {
		name, markdown string
	}{
		{"script block", "<script>alert(1)</script>\n"},
		{"script inline", "Read this <script>alert(1)</script> now.\n"},
		{"script after text block", "Text.\n\n<div>\n<script>alert(1)</script>\n</div>\n"},
		{"event handler", `<img src="x" onerror="alert(1)">` + "\n"},
		{"iframe", `<iframe src="https://evil.example"></iframe>` + "\n"},
		{"html comment hiding script", "<!-- --><script>alert(1)</script><!-- -->\n"},
		{"script in link text", "[<script>alert(1)</script>](https://example.org)\n"},
		{"script in link title", `[x](https://example.org "<script>alert(1)</script>")` + "\n"},
		{"quote breaking out of title", `[x](https://example.org "a\" onmouseover=\"alert(1)")` + "\n"},
		{"script in image alt", "![<script>alert(1)</script>](/a.png)\n"},
		{"script in code span", "`<script>alert(1)</script>`\n"},
		{"script in code block", "```\n<script>alert(1)</script>\n```\n"},
		{"attribute syntax is off", "# Title {onclick=alert(1)}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, err := render(tt.markdown)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			out := strings.ToLower(string(html))
			for _, bad := range []string{"<script", "<img src=\"x\"", "<iframe", "onerror=\"", "onmouseover=\"", "<h1 "} {
				if strings.Contains(out, bad) {
					t.Errorf("render(%q) = %q, contains %s", tt.markdown, html, bad)
				}
			}
		})
	}
}

func TestRenderKeepsOnlySafeLinks(t *testing.T) {
	tests := []struct {
		name, markdown string
		wantHref       string // "" means the output must have no href at all
		wantText       string
	}{
		{"https", "[site](https://example.org/a?b=c)", `href="https://example.org/a?b=c"`, "site"},
		{"http", "[site](http://example.org)", `href="http://example.org"`, "site"},
		{"mailto", "[mail](mailto:secretary@example.org)", `href="mailto:secretary@example.org"`, "mail"},
		{"absolute path", "[terms](/terms)", `href="/terms"`, "terms"},
		{"relative path", "[other](other-policy)", `href="other-policy"`, "other"},
		{"fragment", "[below](#reporting)", `href="#reporting"`, "below"},
		{"colon after slash", "[odd](./a:b)", `href="./a:b"`, "odd"},
		{"autolink", "<https://example.org>", `href="https://example.org"`, "example.org"},
		{"email autolink", "<secretary@example.org>", `href="mailto:secretary@example.org"`, "secretary@example.org"},
		{"javascript", "[click](javascript:alert(1))", "", "click"},
		{"javascript mixed case", "[click](JaVaScRiPt:alert(1))", "", "click"},
		{"javascript as entity", "[click](&#106;avascript:alert(1))", "", "click"},
		{"javascript with tab", "[click](<java\tscript:alert(1)>)", "", "click"},
		{"javascript reference", "[click][r]\n\n[r]: javascript:alert(1)", "", "click"},
		{"javascript autolink", "<javascript:alert(1)>", "", "javascript:alert(1)"},
		{"vbscript", "[click](vbscript:msgbox)", "", "click"},
		{"data", "[click](data:text/html;base64,PHNjcmlwdD4=)", "", "click"},
		{"ftp", "[files](ftp://example.org/)", "", "files"},
		{"ftp autolink", "<ftp://example.org/>", "", "ftp://example.org/"},
		{"data image", "![logo](data:image/png;base64,AAAA)", "", "logo"},
		{"https image", "![logo](https://example.org/logo.png)", `src="https://example.org/logo.png"`, ""},
		{"formatted link text", "[**bold** move](javascript:x)", "", "<strong>bold</strong> move"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html, err := render(tt.markdown + "\n")
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			out := string(html)
			if tt.wantHref == "" {
				if strings.Contains(out, "href=") || strings.Contains(out, "src=") {
					t.Errorf("render(%q) = %q, want no link", tt.markdown, out)
				}
			} else if !strings.Contains(out, tt.wantHref) {
				t.Errorf("render(%q) = %q, want %s", tt.markdown, out, tt.wantHref)
			}
			if !strings.Contains(out, tt.wantText) {
				t.Errorf("render(%q) = %q, want the text %q kept", tt.markdown, out, tt.wantText)
			}
		})
	}
}
