-- stencil-store schema, version 2 (SQLite): named settings kept with the
-- catalogue rather than with one machine — e.g. the registries a catalogue
-- trusts and the newest metadata it has seen of each (stencil-registry's
-- rollback floor). Few rows, small values.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
