-- +goose Up
-- Whom the relying party's id_token_hint named (its sub), if it sent one: a
-- login of someone else must be made again (OpenID Connect Core 3.1.2.1).
ALTER TABLE oidc_auth_requests ADD COLUMN hint_subject text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oidc_auth_requests DROP COLUMN hint_subject;
