-- +goose Up
-- Membership that keeps itself true (issue 15): dues on the register, the
-- changes the register asks of people's standing that wait for the
-- secretary, and the dues notices already sent.

-- The day up to which a member's subscription is paid, as the register
-- knows it. Empty: the co-op does not track dues for this entry.
ALTER TABLE register_entries ADD COLUMN paid_until date;
CREATE INDEX register_entries_paid_until_idx ON register_entries (paid_until) WHERE paid_until IS NOT NULL;

-- What the register asks of a linked person's standing: "cease" (their
-- entry got a ceased_on date that has come), "reinstate" (a ceased_on date
-- was cleared) or "missing" (a full register upload left their entry out).
-- A change waits (pending) until the secretary confirms or dismisses it, or
-- it is withdrawn because the register or the person moved on; with
-- membership.apply_register_endings: automatic, cease and reinstate are
-- applied at once (applied). Rows are kept: they are the history.
CREATE TABLE membership_changes (
    id                bigserial PRIMARY KEY,
    person_id         uuid NOT NULL REFERENCES people (id),
    register_entry_id bigint NOT NULL REFERENCES register_entries (id),
    kind              text NOT NULL CHECK (kind IN ('cease', 'reinstate', 'missing')),
    ceased_on         date,                      -- the register's date, for cease
    ceased_reason     text NOT NULL DEFAULT '',  -- the register's reason, for cease
    source            text NOT NULL DEFAULT '',  -- in words: which import, or the date arriving
    upload_digest     text NOT NULL DEFAULT '',  -- sha256 of the imported file, as its audit event names it
    state             text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'confirmed', 'dismissed', 'withdrawn', 'applied')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    decided_by        uuid REFERENCES people (id),
    decided_at        timestamptz
);
CREATE UNIQUE INDEX membership_changes_one_pending ON membership_changes (person_id) WHERE state = 'pending';
CREATE INDEX membership_changes_person_idx ON membership_changes (person_id);
-- An ending is proposed once per date: one the secretary dismissed is not
-- proposed again until the register gives another date.
CREATE UNIQUE INDEX membership_changes_cease_once ON membership_changes (person_id, register_entry_id, ceased_on)
    WHERE kind = 'cease' AND state <> 'withdrawn';

-- Every dues notice mailed, once per person, paid-until date and notice
-- ("due-30", "due-7", "passed"): the row and its mail commit together, so
-- neither two replicas nor a restart send one twice.
CREATE TABLE dues_notices (
    person_id  uuid NOT NULL REFERENCES people (id),
    paid_until date NOT NULL,
    notice     text NOT NULL,
    sent_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, paid_until, notice)
);

-- +goose Down
DROP TABLE dues_notices, membership_changes;
ALTER TABLE register_entries DROP COLUMN paid_until;
