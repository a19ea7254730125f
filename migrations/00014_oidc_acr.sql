-- +goose Up
-- What a relying party asked of the login (acr_values) and what it got
-- (acr), kept with the tokens so that userinfo answers with the login's
-- amr and acr as the ID token does.
ALTER TABLE oidc_auth_requests
    ADD COLUMN acr_values text[] NOT NULL DEFAULT '{}',
    ADD COLUMN acr        text NOT NULL DEFAULT '';
ALTER TABLE oidc_access_tokens
    ADD COLUMN amr text[] NOT NULL DEFAULT '{}',
    ADD COLUMN acr text NOT NULL DEFAULT '';
ALTER TABLE oidc_refresh_tokens
    ADD COLUMN acr text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE oidc_refresh_tokens DROP COLUMN acr;
ALTER TABLE oidc_access_tokens DROP COLUMN acr, DROP COLUMN amr;
ALTER TABLE oidc_auth_requests DROP COLUMN acr, DROP COLUMN acr_values;
