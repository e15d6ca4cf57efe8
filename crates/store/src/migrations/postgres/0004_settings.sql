-- stencil-store schema, version 2 (PostgreSQL): the settings table of
-- migrations/sqlite/0002_settings.sql.
CREATE TABLE settings (
    key        TEXT COLLATE "C" PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
