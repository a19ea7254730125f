-- +goose Up
-- Second factors (internal/secondfactor owns these tables). A person may
-- have any number of passkeys, at most one authenticator app (TOTP) and a
-- set of recovery codes, which exist only beside a factor.

-- Passkeys (WebAuthn credentials). credential is go-webauthn's credential
-- record as JSON: the public key, sign count and flags, nothing secret.
CREATE TABLE second_factor_passkeys (
    id            bigserial PRIMARY KEY,
    person_id     uuid NOT NULL REFERENCES people (id),
    credential_id bytea NOT NULL UNIQUE,
    credential    jsonb NOT NULL,
    name          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz
);
CREATE INDEX second_factor_passkeys_person_idx ON second_factor_passkeys (person_id);

-- The authenticator app: its secret sealed with crypto_key. Until the first
-- valid code confirms it (confirmed_at), it is an enrolment in progress.
-- last_step is the time step of the last code accepted: a code of that step
-- or an earlier one is refused, so a code works once (RFC 6238 §5.2).
CREATE TABLE second_factor_totp (
    person_id     uuid PRIMARY KEY REFERENCES people (id),
    secret_sealed bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    confirmed_at  timestamptz,
    last_step     bigint NOT NULL DEFAULT 0
);

-- Recovery codes, each single-use; only a keyed hash is stored.
CREATE TABLE second_factor_recovery_codes (
    person_id  uuid NOT NULL REFERENCES people (id),
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (person_id, code_hash)
);

-- WebAuthn ceremonies between their two requests: the challenge and what
-- go-webauthn needs to check the answer, keyed by a hash of a handle that
-- only the browser's session holds. Taken (deleted) once.
CREATE TABLE second_factor_challenges (
    handle_hash bytea NOT NULL,
    purpose     text NOT NULL CHECK (purpose IN ('register', 'login', 'second_factor')),
    person_id   uuid REFERENCES people (id),
    ceremony    jsonb NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (handle_hash, purpose)
);
CREATE INDEX second_factor_challenges_expires_idx ON second_factor_challenges (expires_at);

-- The one login a person whose role requires a second factor may make
-- without one: a hash of the id of the login it was granted to.
CREATE TABLE second_factor_grace (
    person_id  uuid PRIMARY KEY REFERENCES people (id),
    login_hash bytea NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE second_factor_grace, second_factor_challenges, second_factor_recovery_codes,
    second_factor_totp, second_factor_passkeys;
