-- stencil-store schema, version 6 (SQLite): a listing page by name reads
-- its rows from one index instead of the index then each row of the table.
-- The index holds every column a listing returns, in listing order
-- (name, id), so the page is one ordered range of the index: no seek into
-- the table per artifact, which at 100,000 artifacts lands on a different
-- page for nearly every row (about 13% of a page; docs/performance.md).
-- It replaces artifacts_by_name, whose key is its prefix. The price: a
-- second copy of each artifact's listing columns (~18% more file at the
-- bench's short descriptions) written with every artifact change.
CREATE INDEX artifacts_listing_by_name ON artifacts
    (name, id, type, description, source, created_at, updated_at, tag_names);
DROP INDEX artifacts_by_name;
