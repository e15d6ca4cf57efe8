-- stencil-store schema, version 5 (SQLite): a template made from a
-- collection may follow it (issue 17): its entities are then the
-- collection's members at each load, not rows of template_entities (it has
-- none). 0: the template lists its entities itself — every template made
-- before this version, which keep the member list they were saved with.
-- The CHECK makes deleting a followed collection fail rather than leave a
-- template following nothing (ON DELETE SET NULL would): Catalog::
-- delete_collection refuses it first with a clear error, and the CHECK
-- closes the race with a template created meanwhile.
ALTER TABLE templates ADD COLUMN follows_collection INTEGER NOT NULL DEFAULT 0
    CHECK (follows_collection = 0 OR collection_id IS NOT NULL);
CREATE INDEX templates_by_collection ON templates (collection_id);
