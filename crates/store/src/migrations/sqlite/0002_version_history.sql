-- Versions are a history (issue 17): each change of content gets the next
-- number, even when the bytes equal an older version's, so the same digest
-- may now appear more than once per artifact. SQLite cannot drop a
-- constraint: the table is rebuilt without UNIQUE (artifact_id, digest).
CREATE TABLE artifact_versions_history (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    digest      BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (artifact_id, version)
) WITHOUT ROWID;
INSERT INTO artifact_versions_history (artifact_id, version, digest, created_at)
    SELECT artifact_id, version, digest, created_at FROM artifact_versions;
DROP TABLE artifact_versions;
ALTER TABLE artifact_versions_history RENAME TO artifact_versions;
