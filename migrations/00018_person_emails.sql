-- +goose Up
-- A person's other email addresses (issue 15), each verified by a mailed
-- link like the first. people.email stays the login and the address in
-- ID tokens; these count for admission and for matching the register.
CREATE TABLE person_emails (
    email       text PRIMARY KEY CHECK (email = lower(email)),
    person_id   uuid NOT NULL REFERENCES people (id),
    verified_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX person_emails_person_idx ON person_emails (person_id);

-- An address belongs to one person only, whether it is their login email
-- or another of theirs. A unique index cannot span two tables, so a
-- trigger on each checks the other, holding a lock on the address (an
-- advisory lock on its hash) until the transaction ends: of two
-- transactions claiming one address, the second waits and then sees the
-- first. It answers as the unique index would, naming people_email_key or
-- person_emails_pkey, so callers keep one way of telling "taken".
-- +goose StatementBegin
CREATE FUNCTION email_belongs_to_one_person() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1701667177, hashtext(NEW.email)); -- 1701667177: "emai"
    IF TG_TABLE_NAME = 'people' THEN
        IF EXISTS (SELECT 1 FROM person_emails WHERE email = NEW.email AND person_id <> NEW.id) THEN
            RAISE EXCEPTION 'email % belongs to another person', NEW.email
                USING ERRCODE = 'unique_violation', CONSTRAINT = 'people_email_key', TABLE = 'people';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM people WHERE email = NEW.email AND id <> NEW.person_id) THEN
        RAISE EXCEPTION 'email % belongs to another person', NEW.email
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'person_emails_pkey', TABLE = 'person_emails';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER people_email_one_person BEFORE INSERT OR UPDATE OF email ON people
    FOR EACH ROW EXECUTE FUNCTION email_belongs_to_one_person();
CREATE TRIGGER person_emails_one_person BEFORE INSERT OR UPDATE OF email ON person_emails
    FOR EACH ROW EXECUTE FUNCTION email_belongs_to_one_person();

-- Adding an address is confirmed by a link like the others.
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email', 'add_email'));

-- +goose Down
DELETE FROM email_tokens WHERE purpose = 'add_email';
ALTER TABLE email_tokens DROP CONSTRAINT email_tokens_purpose_check;
ALTER TABLE email_tokens ADD CONSTRAINT email_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'));
DROP TRIGGER people_email_one_person ON people;
DROP TABLE person_emails;
DROP FUNCTION email_belongs_to_one_person();
