-- +goose Up
-- needs_setting: the service refused because of one of its own settings
-- (Discourse's new-accounts-per-IP limit, closed registrations, a username
-- length); the account waits, and is tried again when the secretary says
-- the setting is changed, at the periodic recheck, or after the next
-- success on that service.
ALTER TABLE downstream_accounts DROP CONSTRAINT downstream_accounts_state_check;
ALTER TABLE downstream_accounts ADD CONSTRAINT downstream_accounts_state_check
    CHECK (state IN ('pending', 'active', 'suspended', 'failed', 'missing', 'needs_setting'));

DROP INDEX downstream_accounts_unsettled;
CREATE INDEX downstream_accounts_unsettled ON downstream_accounts (service, state)
    WHERE state IN ('pending', 'failed', 'needs_setting');

-- The suspensions coopgate made, with the account's state before, so a
-- reinstatement lifts exactly those and never a moderator's own.
CREATE TABLE downstream_suspensions (
    person_id    uuid NOT NULL REFERENCES people (id),
    service      text NOT NULL,
    remote_id    text NOT NULL,
    state_before text NOT NULL CHECK (state_before IN ('active', 'pending')),
    suspended_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, service)
);

-- +goose Down
DROP TABLE downstream_suspensions;
DROP INDEX downstream_accounts_unsettled;
CREATE INDEX downstream_accounts_unsettled ON downstream_accounts (state) WHERE state IN ('pending', 'failed');
UPDATE downstream_accounts SET state = 'failed' WHERE state = 'needs_setting';
ALTER TABLE downstream_accounts DROP CONSTRAINT downstream_accounts_state_check;
ALTER TABLE downstream_accounts ADD CONSTRAINT downstream_accounts_state_check
    CHECK (state IN ('pending', 'active', 'suspended', 'failed', 'missing'));
