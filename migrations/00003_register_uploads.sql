-- +goose Up
-- A member register file between its preview in the admin pages and the
-- secretary's confirmation: any replica can take the confirmation, and the
-- browser carries only the id. The import deletes its row in the same
-- transaction; rows never confirmed are deleted after a day.
CREATE TABLE register_uploads (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    uploaded_by uuid NOT NULL REFERENCES people (id),
    file_name   text NOT NULL DEFAULT '',
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX register_uploads_created_idx ON register_uploads (created_at);

-- +goose Down
DROP TABLE register_uploads;
