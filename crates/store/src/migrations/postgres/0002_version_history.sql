-- Versions are a history (issue 17): each change of content gets the next
-- number, even when the bytes equal an older version's, so the same digest
-- may now appear more than once per artifact.
ALTER TABLE artifact_versions DROP CONSTRAINT artifact_versions_artifact_id_digest_key;
