-- stencil-store schema, version 6 (PostgreSQL): nothing changes. Version 6
-- on SQLite (migrations/sqlite/0006_listing_index.sql) gives listing pages
-- a covering index; this keeps the two backends' version numbers in step.
SELECT 1;
