-- +goose Up
-- Federation decisions: which servers the co-op's Mastodon blocks, and why.
-- The ledger is append-only, like policy acceptances: changing or lifting a
-- block is a new decision, and a domain's current state is its latest one.
CREATE TABLE federation_decisions (
    id                bigserial PRIMARY KEY,
    domain            text NOT NULL CHECK (domain <> '' AND domain = lower(domain)),  -- IDNA punycode, no trailing dot
    action            text NOT NULL CHECK (action IN ('block', 'lift')),
    severity          text NOT NULL DEFAULT '' CHECK (severity IN ('', 'suspend', 'silence', 'noop')),
    reject_media      boolean NOT NULL DEFAULT false,
    reject_reports    boolean NOT NULL DEFAULT false,
    obfuscate         boolean NOT NULL DEFAULT false,
    -- The ground, from a closed list the co-op's policies back; no political ground.
    ground            text NOT NULL DEFAULT '' CHECK (ground IN ('', 'spam', 'attacks', 'hate-speech', 'illegal-content')),
    policy_id         text NOT NULL DEFAULT '',   -- the policy behind the ground, in the version current then
    policy_version    text NOT NULL DEFAULT '',
    public_reason     text NOT NULL DEFAULT '',
    private_note      text NOT NULL DEFAULT '',
    reference         text NOT NULL CHECK (reference <> ''),  -- the Loomio or forum thread, or free text
    review_on         date,
    source            text NOT NULL CHECK (source IN ('form', 'proposal', 'import', 'adopted')),
    recorded_by       uuid REFERENCES people (id),  -- NULL: the CLI
    recorded_by_label text NOT NULL DEFAULT '',
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    -- A block has a severity and a ground; a lift has neither.
    CHECK ((action = 'block' AND severity <> '' AND ground <> '') OR
           (action = 'lift' AND severity = '' AND ground = '' AND NOT (reject_media OR reject_reports OR obfuscate)))
);
CREATE INDEX federation_decisions_domain_idx ON federation_decisions (domain, id DESC);
CREATE TRIGGER federation_decisions_append_only BEFORE UPDATE OR DELETE ON federation_decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Members' proposals, queued for moderators, who accept (the decision it
-- became) or decline (with a reason). The proposer is told by mail.
CREATE TABLE federation_proposals (
    id             bigserial PRIMARY KEY,
    domain         text NOT NULL CHECK (domain <> '' AND domain = lower(domain)),
    ground         text NOT NULL CHECK (ground IN ('spam', 'attacks', 'hate-speech', 'illegal-content')),
    evidence       text[] NOT NULL DEFAULT '{}',  -- links
    why            text NOT NULL,
    proposed_by    uuid NOT NULL REFERENCES people (id),
    proposed_at    timestamptz NOT NULL DEFAULT now(),
    state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'declined')),
    decided_by     uuid REFERENCES people (id),
    decided_at     timestamptz,
    decline_reason text NOT NULL DEFAULT '',
    decision_id    bigint REFERENCES federation_decisions (id)
);
CREATE UNIQUE INDEX federation_proposals_one_pending ON federation_proposals (proposed_by, domain) WHERE state = 'pending';
CREATE INDEX federation_proposals_state_idx ON federation_proposals (state, id);

-- Mastodon's domain blocks as coopgate last saw them (the reconciler's
-- comparison and each job's result), for the moderators' page.
CREATE TABLE federation_mastodon_blocks (
    domain          text PRIMARY KEY,
    remote_id       text NOT NULL,
    severity        text NOT NULL,
    reject_media    boolean NOT NULL,
    reject_reports  boolean NOT NULL,
    obfuscate       boolean NOT NULL,
    public_comment  text NOT NULL DEFAULT '',
    private_comment text NOT NULL DEFAULT '',
    seen_at         timestamptz NOT NULL DEFAULT now()
);

-- Where carrying each domain's latest decision to Mastodon stands.
CREATE TABLE federation_applied (
    domain      text PRIMARY KEY,
    decision_id bigint NOT NULL REFERENCES federation_decisions (id),
    state       text NOT NULL CHECK (state IN ('pending', 'applied', 'covered', 'failed')),
    note        text NOT NULL DEFAULT '',  -- the covering block, or the safe error text
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The last comparison with Mastodon's list: when, and what went wrong.
CREATE TABLE federation_comparisons (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    compared_at timestamptz,
    last_error  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A domain-block CSV between its preview and the moderator's confirmation,
-- as register_uploads is for the member register.
CREATE TABLE federation_uploads (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    uploaded_by uuid NOT NULL REFERENCES people (id),
    file_name   text NOT NULL DEFAULT '',
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX federation_uploads_created_idx ON federation_uploads (created_at);

-- +goose Down
DROP TABLE federation_uploads, federation_comparisons, federation_applied, federation_mastodon_blocks,
    federation_proposals, federation_decisions;
