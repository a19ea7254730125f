// Package migrations embeds coopgate's numbered plain-SQL migrations, applied
// in order by goose from internal/database. A migration, once released, is
// never edited: a change is a new file.
package migrations

import "embed"

//go:embed *.sql
var FS embed.FS
