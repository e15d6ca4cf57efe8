-- stencil-store schema, version 7 (SQLite): nothing changes. The
-- PostgreSQL script of this version widens two listing indexes for
-- index-only filtered pages (migrations/postgres/0007_listing_indexes.sql);
-- both backends keep the same version numbers.
SELECT 1;
