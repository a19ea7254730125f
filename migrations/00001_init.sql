-- +goose Up
-- coopgate's own tables. River's job tables are created by rivermigrate in
-- the same `coopgate migrate` run (internal/database.Migrate).

-- A person has one login. people.id is the OIDC `sub`: stable and opaque.
-- Rows are never deleted (a username is never reused: Mastodon turns it into
-- the account name, so a reused name would hand an old account to a new person).
CREATE TABLE people (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL,          -- lower-cased
    email_verified_at timestamptz,
    name              text NOT NULL,
    username          text NOT NULL,          -- lower-case, Mastodon-valid
    password_hash     text NOT NULL,          -- argon2id PHC string
    status            text NOT NULL DEFAULT 'signed_up'
        CHECK (status IN ('signed_up', 'awaiting_approval', 'admitted', 'rejected', 'ceased')),
    roles             text[] NOT NULL DEFAULT '{}',
    membership_number text,                   -- as claimed at sign-up
    register_entry_id bigint,                 -- set when matched to the member register
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    admitted_at       timestamptz,
    ceased_at         timestamptz
);
CREATE UNIQUE INDEX people_email_key ON people (email);
CREATE UNIQUE INDEX people_username_key ON people (lower(username));
CREATE INDEX people_status_idx ON people (status);

-- Single-use tokens sent by mail. Only a SHA-256 of the token is stored.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY,
    person_id  uuid NOT NULL REFERENCES people (id),
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    new_email  text,                          -- for change_email
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX email_tokens_person_idx ON email_tokens (person_id, purpose);

-- The member register a UK registered society keeps (s.30 Co-operative and
-- Community Benefit Societies Act 2014).
CREATE TABLE register_entries (
    id                bigserial PRIMARY KEY,
    membership_number text NOT NULL UNIQUE,
    name              text NOT NULL,
    postal_address    text NOT NULL DEFAULT '',
    emails            text[] NOT NULL DEFAULT '{}',   -- lower-cased
    class             text NOT NULL DEFAULT '',       -- worker / user / investor ...
    shares_held       integer NOT NULL DEFAULT 0,
    amount_paid       numeric(12, 2) NOT NULL DEFAULT 0,
    admitted_on       date,
    ceased_on         date,
    ceased_reason     text NOT NULL DEFAULT '',        -- resigned / expelled / unpaid subscription
    dues_status       text NOT NULL DEFAULT 'unknown' CHECK (dues_status IN ('paid', 'unpaid', 'unknown')),
    source            text NOT NULL DEFAULT '',        -- csv / opencollective / admin
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX register_entries_emails_idx ON register_entries USING gin (emails);
ALTER TABLE people ADD CONSTRAINT people_register_entry_fk
    FOREIGN KEY (register_entry_id) REFERENCES register_entries (id);

CREATE TABLE allowed_domains (
    domain   text PRIMARY KEY,                -- lower-cased, exact match
    added_by uuid REFERENCES people (id),    -- NULL: seeded from config
    added_at timestamptz NOT NULL DEFAULT now(),
    reason   text NOT NULL DEFAULT ''
);

-- An application is what a person who was not admitted automatically waits on.
CREATE TABLE applications (
    id           bigserial PRIMARY KEY,
    person_id    uuid NOT NULL REFERENCES people (id),
    submitted_at timestamptz NOT NULL DEFAULT now(),
    note         text NOT NULL DEFAULT '',
    failed_rule  text NOT NULL DEFAULT '',
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
    decided_by   uuid REFERENCES people (id),
    decided_at   timestamptz,
    reason       text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX applications_one_pending ON applications (person_id) WHERE state = 'pending';

-- Policies: each version stored once; acceptances are append-only.
CREATE TABLE policy_versions (
    policy_id text NOT NULL,
    version   text NOT NULL,
    title     text NOT NULL,
    sha256    text NOT NULL,                   -- hex of the Markdown body
    body      text NOT NULL,
    effective date NOT NULL,
    required  boolean NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, version)
);

CREATE TABLE policy_acceptances (
    id          bigserial PRIMARY KEY,
    person_id   uuid NOT NULL REFERENCES people (id),
    policy_id   text NOT NULL,
    version     text NOT NULL,
    sha256      text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    FOREIGN KEY (policy_id, version) REFERENCES policy_versions (policy_id, version)
);
CREATE INDEX policy_acceptances_person_idx ON policy_acceptances (person_id, policy_id);

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER policy_acceptances_append_only BEFORE UPDATE OR DELETE ON policy_acceptances
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- OIDC state. Nothing lives only in one replica's memory.
CREATE TABLE oidc_auth_requests (
    id                    uuid PRIMARY KEY,
    client_id             text NOT NULL,
    redirect_uri          text NOT NULL,
    scopes                text[] NOT NULL,
    state                 text NOT NULL DEFAULT '',
    nonce                 text NOT NULL DEFAULT '',
    response_type         text NOT NULL,
    response_mode         text NOT NULL DEFAULT '',
    code_challenge        text NOT NULL DEFAULT '',
    code_challenge_method text NOT NULL DEFAULT '',
    prompt                text[] NOT NULL DEFAULT '{}',
    max_age               integer,
    login_hint            text NOT NULL DEFAULT '',
    person_id             uuid REFERENCES people (id),
    auth_time             timestamptz,
    amr                   text[] NOT NULL DEFAULT '{}',
    done                  boolean NOT NULL DEFAULT false,
    code_hash             bytea UNIQUE,
    code_used_at          timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz NOT NULL
);
CREATE INDEX oidc_auth_requests_expires_idx ON oidc_auth_requests (expires_at);

-- A refresh-token family starts at one code exchange; every refresh rotates
-- the token inside its family, and presenting a spent one revokes the family.
CREATE TABLE oidc_refresh_tokens (
    id          uuid PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    family_id   uuid NOT NULL,
    person_id   uuid NOT NULL REFERENCES people (id),
    client_id   text NOT NULL,
    scopes      text[] NOT NULL,
    audience    text[] NOT NULL,
    amr         text[] NOT NULL DEFAULT '{}',
    auth_time   timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX oidc_refresh_tokens_family_idx ON oidc_refresh_tokens (family_id);
CREATE INDEX oidc_refresh_tokens_person_idx ON oidc_refresh_tokens (person_id);
CREATE INDEX oidc_refresh_tokens_expires_idx ON oidc_refresh_tokens (expires_at);

CREATE TABLE oidc_access_tokens (
    id                uuid PRIMARY KEY,
    person_id         uuid NOT NULL REFERENCES people (id),
    client_id         text NOT NULL,
    scopes            text[] NOT NULL,
    audience          text[] NOT NULL,
    auth_request_id   uuid,                     -- the code it came from: revoked if the code is replayed
    refresh_family_id uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL
);
CREATE INDEX oidc_access_tokens_person_idx ON oidc_access_tokens (person_id);
CREATE INDEX oidc_access_tokens_family_idx ON oidc_access_tokens (refresh_family_id);
CREATE INDEX oidc_access_tokens_auth_request_idx ON oidc_access_tokens (auth_request_id);
CREATE INDEX oidc_access_tokens_expires_idx ON oidc_access_tokens (expires_at);

-- RS256 signing keys, private part sealed with the configured crypto_key.
-- A key is published from created_at, signs from signs_from, and is published
-- until published_until (NULL: still current).
CREATE TABLE oidc_signing_keys (
    kid             text PRIMARY KEY,
    algorithm       text NOT NULL,
    private_sealed  bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    signs_from      timestamptz NOT NULL,
    published_until timestamptz
);

-- Browser sessions (gorilla/sessions store). person_id lets every session of a
-- person end at once (password reset, membership ended).
CREATE TABLE web_sessions (
    id         text PRIMARY KEY,
    person_id  uuid REFERENCES people (id),
    data       bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_person_idx ON web_sessions (person_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

-- Fixed-window counters for rate limits and lockout, shared by all replicas.
CREATE TABLE rate_limit_counters (
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (key, window_start)
);

CREATE TABLE audit_events (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid REFERENCES people (id),  -- NULL: the system or a CLI command
    actor_label  text NOT NULL DEFAULT '',
    action       text NOT NULL,
    subject_type text NOT NULL DEFAULT '',
    subject_id   text NOT NULL DEFAULT '',
    before       jsonb,
    after        jsonb,
    ip           text NOT NULL DEFAULT '',
    request_id   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_type, subject_id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id);
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

CREATE TABLE downstream_accounts (
    person_id      uuid NOT NULL REFERENCES people (id),
    service        text NOT NULL,              -- mastodon / discourse / gitlab
    remote_id      text NOT NULL DEFAULT '',
    state          text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'active', 'suspended', 'failed', 'missing')),
    last_error     text NOT NULL DEFAULT '',
    last_synced_at timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, service)
);

-- Webhook deliveries already handled, so a replay is handled once.
CREATE TABLE webhook_deliveries (
    source      text NOT NULL,
    delivery_id text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, delivery_id)
);

-- Mail as shown at /dev/mail by `coopgate dev` only.
CREATE TABLE dev_mail (
    id      bigserial PRIMARY KEY,
    sent_at timestamptz NOT NULL DEFAULT now(),
    to_addr text NOT NULL,
    subject text NOT NULL,
    body    text NOT NULL
);

-- +goose Down
DROP TABLE dev_mail, webhook_deliveries, downstream_accounts, audit_events, rate_limit_counters,
    web_sessions, oidc_signing_keys, oidc_access_tokens, oidc_refresh_tokens, oidc_auth_requests,
    policy_acceptances, policy_versions, applications, allowed_domains, people, register_entries,
    email_tokens CASCADE;
DROP FUNCTION refuse_change();
