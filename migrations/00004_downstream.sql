-- +goose Up
-- What coopgate last asked of a person's account (ensure, suspend or
-- reinstate), so the secretary's Retry repeats that, and never turns a
-- failed cessation into an ensure or lifts a suspension nobody asked to lift.
ALTER TABLE downstream_accounts ADD COLUMN action text NOT NULL DEFAULT ''
    CHECK (action IN ('', 'ensure', 'suspend', 'reinstate'));

-- The secretary's list of accounts that failed or wait for a sync.
CREATE INDEX downstream_accounts_unsettled ON downstream_accounts (state) WHERE state IN ('pending', 'failed');

-- +goose Down
DROP INDEX downstream_accounts_unsettled;
ALTER TABLE downstream_accounts DROP COLUMN action;
