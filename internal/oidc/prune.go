package oidc

import (
	"context"
	"fmt"

	"github.com/coopgate/coopgate/internal/database"
)

// Prune deletes auth requests a day after they expired, expired access
// tokens, refresh tokens that expired or were revoked over 30 days ago, and
// signing keys no longer published.
func Prune(ctx context.Context, db database.Querier) error {
	for _, q := range []string{
		`DELETE FROM oidc_auth_requests WHERE expires_at < now() - interval '1 day'`,
		`DELETE FROM oidc_access_tokens WHERE expires_at < now()`,
		`DELETE FROM oidc_refresh_tokens WHERE expires_at < now() OR revoked_at < now() - interval '30 days'`,
		`DELETE FROM oidc_signing_keys WHERE published_until < now()`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			return fmt.Errorf("oidc: prune: %w", err)
		}
	}
	return nil
}
