-- stencil-store schema, version 1 (SQLite).
-- Counters on collections and groups are maintained by the triggers at the
-- end; link tables are only ever written with plain INSERT / DELETE (never
-- INSERT OR REPLACE, whose implicit delete+insert drifts counters).

CREATE TABLE artifacts (
    id          INTEGER PRIMARY KEY,
    type        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    source      TEXT,
    digest      BLOB    NOT NULL,
    -- The artifact's tag names, sorted, joined by U+001F (names cannot hold
    -- control characters). A copy of artifact_tags kept by the write path so
    -- a listing page reads tags with the row instead of ~2 index seeks per
    -- artifact; artifact_tags stays the source for filters and facets, and
    -- verify_counts()/recount() check and repair the copy.
    tag_names   TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (type, name)
);
-- Listing sorts by (name, id) and (updated_at, id); the type filter uses the
-- UNIQUE (type, name) index.
CREATE INDEX artifacts_by_name    ON artifacts (name);
CREATE INDEX artifacts_by_updated ON artifacts (updated_at);

CREATE TABLE blobs (
    hash    BLOB PRIMARY KEY,
    size    INTEGER NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE artifact_files (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    blob_hash   BLOB    NOT NULL REFERENCES blobs (hash),
    executable  INTEGER NOT NULL DEFAULT 0,
    verbatim    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (artifact_id, path)
) WITHOUT ROWID;

-- Unique per artifact and digest, not globally: two artifacts may hold the
-- same content.
CREATE TABLE artifact_versions (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    digest      BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (artifact_id, version),
    UNIQUE (artifact_id, digest)
) WITHOUT ROWID;

CREATE TABLE collections (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    description    TEXT    NOT NULL DEFAULT '',
    artifact_count INTEGER NOT NULL DEFAULT 0,
    group_count    INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

CREATE TABLE collection_members (
    collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    artifact_id   INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    PRIMARY KEY (collection_id, artifact_id)
) WITHOUT ROWID;
CREATE INDEX collection_members_by_artifact ON collection_members (artifact_id, collection_id);

CREATE TABLE collection_groups (
    id             INTEGER PRIMARY KEY,
    collection_id  INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    position       INTEGER NOT NULL DEFAULT 0,
    artifact_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (collection_id, name)
);

CREATE TABLE group_members (
    group_id    INTEGER NOT NULL REFERENCES collection_groups (id) ON DELETE CASCADE,
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, artifact_id)
) WITHOUT ROWID;
CREATE INDEX group_members_by_artifact ON group_members (artifact_id, group_id);

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE artifact_tags (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (artifact_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX artifact_tags_by_tag ON artifact_tags (tag_id, artifact_id);

CREATE TABLE templates (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    description   TEXT    NOT NULL DEFAULT '',
    collection_id INTEGER REFERENCES collections (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- RESTRICT: deleting an artifact a template needs must be refused, not
-- silently shrink the template.
CREATE TABLE template_entities (
    template_id  INTEGER NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    artifact_id  INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE RESTRICT,
    deploy_order INTEGER NOT NULL,
    required     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (template_id, artifact_id)
) WITHOUT ROWID;
CREATE INDEX template_entities_by_artifact ON template_entities (artifact_id);

CREATE TABLE template_variables (
    template_id   INTEGER NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    required      INTEGER NOT NULL DEFAULT 0,
    default_value TEXT,
    description   TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (template_id, name)
) WITHOUT ROWID;

-- Counting triggers. Foreign-key cascades fire them too, so deleting an
-- artifact decrements every collection and group it was in.
CREATE TRIGGER collection_members_count_insert AFTER INSERT ON collection_members
BEGIN
    UPDATE collections SET artifact_count = artifact_count + 1 WHERE id = NEW.collection_id;
END;
CREATE TRIGGER collection_members_count_delete AFTER DELETE ON collection_members
BEGIN
    UPDATE collections SET artifact_count = artifact_count - 1 WHERE id = OLD.collection_id;
    -- Group membership implies collection membership.
    DELETE FROM group_members
     WHERE artifact_id = OLD.artifact_id
       AND group_id IN (SELECT id FROM collection_groups WHERE collection_id = OLD.collection_id);
END;
CREATE TRIGGER group_members_count_insert AFTER INSERT ON group_members
BEGIN
    UPDATE collection_groups SET artifact_count = artifact_count + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER group_members_count_delete AFTER DELETE ON group_members
BEGIN
    UPDATE collection_groups SET artifact_count = artifact_count - 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER collection_groups_count_insert AFTER INSERT ON collection_groups
BEGIN
    UPDATE collections SET group_count = group_count + 1 WHERE id = NEW.collection_id;
END;
CREATE TRIGGER collection_groups_count_delete AFTER DELETE ON collection_groups
BEGIN
    UPDATE collections SET group_count = group_count - 1 WHERE id = OLD.collection_id;
END;
