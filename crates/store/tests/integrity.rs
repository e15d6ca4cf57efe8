//! What happens to the database file: corruption, schema versions, reopening,
//! and two catalogues sharing one file.

mod common;

use std::time::Duration;

use common::{artifact, key};
use rusqlite::Connection;
use stencil_store::{Catalog, Error, TemplateSpec};

#[test]
fn a_corrupted_blob_is_reported_with_artifact_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let catalog = Catalog::open(&path).unwrap();
    let a = artifact("skill", "review").file("b.md", "second file");
    catalog.put_artifact(&a).unwrap();
    catalog
        .create_template(&TemplateSpec::new("t").entity(a.key.clone(), true))
        .unwrap();
    assert_eq!(catalog.artifact(&a.key).unwrap().files.len(), 2);

    // Flip the content of one blob behind the catalogue's back.
    let raw = Connection::open(&path).unwrap();
    let changed = raw
        .execute(
            "UPDATE blobs SET content = CAST('tampered' AS BLOB) WHERE size = 11",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);

    for err in [
        catalog.artifact(&a.key).unwrap_err(),
        catalog.load_template("t").unwrap_err(),
    ] {
        match &err {
            Error::Corrupt { artifact, path, .. } => {
                assert_eq!((artifact.as_str(), path.as_str()), ("skill:review", "b.md"));
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("skill:review") && msg.contains("b.md"),
            "{msg}"
        );
    }
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    drop(Catalog::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Catalog::open(&path).unwrap_err();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("99") && msg.contains("newer") && msg.contains("upgrade"),
        "{msg}"
    );
}

#[test]
fn a_foreign_sqlite_database_is_refused_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
        .unwrap();
    let err = Catalog::open(&path).unwrap_err();
    assert!(err.to_string().contains("not a stencil catalogue"), "{err}");
    let tables: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1, "the foreign database was modified");
}

#[test]
fn reopening_is_idempotent_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    {
        let catalog = Catalog::open(&path).unwrap();
        catalog.put_artifact(&artifact("agent", "planner")).unwrap();
        catalog.create_collection("docs", "").unwrap();
        catalog
            .add_to_collection("docs", &[key("agent", "planner")])
            .unwrap();
    }
    for _ in 0..3 {
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.collection_artifact_count("docs").unwrap(), 1);
        assert_eq!(
            catalog.artifact(&key("agent", "planner")).unwrap().version,
            1
        );
        assert!(catalog.verify_counts().unwrap().is_empty());
    }
    let version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    // The current schema (0007: listing indexes), not re-migrated.
    assert_eq!(version, 7);
}

#[test]
fn another_catalogues_writes_show_after_the_ttl_and_at_once_with_ttl_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let writer = Catalog::open(&path).unwrap();
    writer.put_artifact(&artifact("skill", "a")).unwrap();
    writer.put_artifact(&artifact("skill", "b")).unwrap();
    writer.create_collection("docs", "").unwrap();
    writer
        .add_to_collection("docs", &[key("skill", "a")])
        .unwrap();

    let open = |ttl| Catalog::builder().cache_ttl(ttl).open(&path).unwrap();
    let (long, short, zero) = (
        open(Duration::from_secs(3600)),
        open(Duration::from_millis(300)),
        open(Duration::ZERO),
    );
    for reader in [&long, &short, &zero] {
        assert_eq!(reader.collection_artifact_count("docs").unwrap(), 1);
    }
    writer
        .add_to_collection("docs", &[key("skill", "b")])
        .unwrap();

    assert_eq!(
        zero.collection_artifact_count("docs").unwrap(),
        2,
        "TTL 0 must not cache"
    );
    // Within its TTL a reader may serve its cached count: that is the bound.
    assert_eq!(long.collection_artifact_count("docs").unwrap(), 1);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(
        short.collection_artifact_count("docs").unwrap(),
        2,
        "stale after the TTL"
    );
    // Column reads never go through the cache.
    assert_eq!(
        long.collection("docs").unwrap().collection.artifact_count,
        2
    );
}

#[test]
fn detecting_external_writes_refreshes_cached_counts_without_waiting_for_the_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let writer = Catalog::open(&path).unwrap();
    writer.put_artifact(&artifact("skill", "a")).unwrap();
    writer.create_collection("docs", "").unwrap();
    let reader = Catalog::builder()
        .cache_ttl(Duration::from_secs(3600))
        .detect_external_writes(true)
        .open(&path)
        .unwrap();
    assert_eq!(reader.collection_artifact_count("docs").unwrap(), 0);
    let hits = reader.stats().cache_hits;
    assert_eq!(reader.collection_artifact_count("docs").unwrap(), 0);
    assert_eq!(
        reader.stats().cache_hits,
        hits + 1,
        "unchanged data is served from the cache"
    );
    writer
        .add_to_collection("docs", &[key("skill", "a")])
        .unwrap();
    assert_eq!(reader.collection_artifact_count("docs").unwrap(), 1);
}

#[test]
fn a_failing_migration_is_an_error_and_leaves_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.db");
    {
        // Marked as a stencil catalogue at version 0, but with a table that
        // makes the first migration fail.
        let raw = Connection::open(&path).unwrap();
        raw.pragma_update(None, "application_id", 0x73_74_6e_63)
            .unwrap();
        raw.execute_batch("CREATE TABLE collections (x INTEGER);")
            .unwrap();
    }
    let err = Catalog::open(&path).unwrap_err();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("schema version 1") && msg.contains("collections"),
        "{msg}"
    );
    let raw = Connection::open(&path).unwrap();
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let tables: i64 = raw
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        (version, tables),
        (0, 1),
        "the failed migration was not rolled back"
    );
}

#[test]
fn a_version_1_catalogue_migrates_to_version_history_keeping_its_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    {
        // A catalogue as the first schema made it, with two versions.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch(include_str!("../src/migrations/sqlite/0001_catalogue.sql"))
            .unwrap();
        raw.execute_batch(
            "PRAGMA user_version = 1; PRAGMA application_id = 1937010275;
             INSERT INTO artifacts (id, type, name, description, digest, tag_names, created_at, updated_at)
                 VALUES (1, 'skill', 'old', '', X'02', '', 5, 6);
             INSERT INTO artifact_versions VALUES (1, 1, X'01', 5), (1, 2, X'02', 6);",
        )
        .unwrap();
    }
    let c = Catalog::open(&path).unwrap();
    let versions = c.versions(&key("skill", "old")).unwrap();
    let kept: Vec<(u32, i64)> = versions.iter().map(|v| (v.version, v.created_ms)).collect();
    assert_eq!(kept, [(1, 5), (2, 6)]);
    let version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    // Through 2 (version history) to the newest (7: listing indexes).
    assert_eq!(version, 7);
}
