-- +goose Up
-- What an applicant wrote to the secretary at sign-up, kept until their
-- application is opened (after they verify their email).
ALTER TABLE people ADD COLUMN signup_note text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE people DROP COLUMN signup_note;
