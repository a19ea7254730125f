// Package policies holds the co-op's policies as Markdown files with YAML
// front matter. internal/policy loads and stores them; this package only
// embeds the files so the binary carries them.
//
// A published version is never edited in place: change the text, bump
// `version`, and set `effective` to the day the new text applies.
package policies

import "embed"

// FS holds every policy file (*.md) at its root.
//
//go:embed *.md
var FS embed.FS
