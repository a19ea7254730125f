// Package web embeds coopgate's page templates, mail templates and static
// files, so the binary carries everything it serves. It holds no Go logic:
// rendering lives in internal/web and internal/mail.
package web

import "embed"

// Templates holds the page templates (templates/*.html).
//
//go:embed templates
var Templates embed.FS

// Static holds the stylesheet and images served under /static/.
//
//go:embed static
var Static embed.FS

// Mail holds the mail templates (mail/*.txt and mail/*.html).
//
//go:embed mail
var Mail embed.FS
