-- stencil-store schema, version 3 (PostgreSQL): the same as
-- migrations/sqlite/0003_collection_metadata.sql.
ALTER TABLE collections
    ADD COLUMN version  TEXT,
    ADD COLUMN author   TEXT,
    ADD COLUMN license  TEXT,
    ADD COLUMN homepage TEXT;
