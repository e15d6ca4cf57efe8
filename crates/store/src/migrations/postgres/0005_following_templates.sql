-- stencil-store schema, version 5 (PostgreSQL): the same as
-- migrations/sqlite/0005_following_templates.sql.
ALTER TABLE templates
    ADD COLUMN follows_collection BOOLEAN NOT NULL DEFAULT FALSE,
    ADD CONSTRAINT templates_follow_a_collection
        CHECK (NOT follows_collection OR collection_id IS NOT NULL);
CREATE INDEX templates_by_collection ON templates (collection_id);
