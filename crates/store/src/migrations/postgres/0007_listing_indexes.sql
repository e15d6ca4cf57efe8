-- stencil-store schema, version 7 (PostgreSQL; issue 16): the two listing
-- indexes carry the filter columns, so a page filtered by tag (and type)
-- finds its rows by an index-only scan that reads the `tag_names` copy in
-- the index, and fetches only the page's own rows from the table (by
-- primary key). Before, every candidate row was read from the table and
-- probed in artifact_tags: at 100,000 artifacts the bench's page (one type
-- in 8, one tag in 10; 1 row in 25 of that type matches) read ~1,270 rows
-- and ~3,800 index pages for 51 rows. The indexes are replaced, not added,
-- so an insert maintains as many as before. The uniqueness of (type, name)
-- is kept by the new index (ON CONFLICT (type, name) infers it).
ALTER TABLE artifacts DROP CONSTRAINT artifacts_type_name_key;
CREATE UNIQUE INDEX artifacts_type_name_key ON artifacts (type, name) INCLUDE (id, tag_names);
DROP INDEX artifacts_by_name;
CREATE INDEX artifacts_by_name ON artifacts (name, id) INCLUDE (type, tag_names);
