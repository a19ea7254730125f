-- +goose Up
-- Every username ever used or asked for, and for whom. A sign-up claims its
-- username before anyone looks at the address, whether the address is new
-- (the person created later takes the claim) or already registered (the
-- claim is kept and names no one): a name's becoming taken must not tell
-- which it was. Like people, rows are never deleted: names are never reused.
CREATE TABLE username_claims (
    username   text PRIMARY KEY CHECK (username = lower(username)),
    person_id  uuid NOT NULL,   -- the person made with it, or the one a sign-up would have made
    claimed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO username_claims (username, person_id, claimed_at)
    SELECT lower(username), id, created_at FROM people;

-- +goose Down
DROP TABLE username_claims;
