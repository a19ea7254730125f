-- +goose Up
-- A sign-up not yet confirmed holds its username only for a while: until
-- expires_at, the end of its first verification link's lifetime. Confirming
-- the address (or making a person any other way) holds it for good (NULL).
-- A sign-up for a registered address holds its name exactly as long as one
-- for a new address, so whether a name frees up tells nothing about the
-- address; nobody can squat a name with sign-ups that are never confirmed.
-- Names of people who got past sign-up are still never reused.
ALTER TABLE username_claims ADD COLUMN expires_at timestamptz;
UPDATE username_claims c SET expires_at = c.claimed_at + interval '24 hours'
WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.id = c.person_id AND p.status <> 'signed_up');

-- +goose Down
ALTER TABLE username_claims DROP COLUMN expires_at;
