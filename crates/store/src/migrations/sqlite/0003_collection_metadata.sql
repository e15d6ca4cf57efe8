-- stencil-store schema, version 3 (SQLite): what a collection imported from
-- a Claude Code plugin knows about the plugin. NULL: not known (every
-- collection made before this version, and every one made by hand).
ALTER TABLE collections ADD COLUMN version  TEXT;
ALTER TABLE collections ADD COLUMN author   TEXT;
ALTER TABLE collections ADD COLUMN license  TEXT;
ALTER TABLE collections ADD COLUMN homepage TEXT;
