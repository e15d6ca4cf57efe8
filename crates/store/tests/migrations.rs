//! Schema version 3 (collection metadata): a catalogue file of schema 2 is
//! migrated on open, keeping its rows; the metadata is read and updated in
//! its statement budget.

mod common;

use common::{artifact, cost, key};
use rusqlite::Connection;
use stencil_store::{Catalog, CollectionMeta, Error};

/// The schema before collection metadata.
const BEFORE: [&str; 2] = [
    include_str!("../src/migrations/sqlite/0001_catalogue.sql"),
    include_str!("../src/migrations/sqlite/0002_version_history.sql"),
];

fn meta(version: &str) -> CollectionMeta {
    CollectionMeta {
        version: Some(version.into()),
        author: Some("Ada <ada@example.com>".into()),
        license: Some("MIT".into()),
        homepage: Some("https://example.com".into()),
    }
}

#[test]
fn a_schema_2_catalogue_is_migrated_keeping_its_collections() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.db");
    {
        // What stencil wrote before collection metadata existed.
        let conn = Connection::open(&path).unwrap();
        for script in BEFORE {
            conn.execute_batch(script).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.pragma_update(None, "application_id", 0x73_74_6e_63)
            .unwrap();
        conn.execute(
            "INSERT INTO collections (name, description, created_at) VALUES ('old', 'kept', 0)",
            [],
        )
        .unwrap();
    }
    let catalog = Catalog::open(&path).unwrap();
    let old = catalog.collection("old").unwrap();
    assert_eq!(old.collection.description, "kept");
    assert_eq!(old.meta, CollectionMeta::default());
    assert!(
        catalog
            .update_collection("old", "kept", &meta("1.0.0"))
            .unwrap()
    );
    drop(catalog);

    let version: i64 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 7); // the newest schema (0007, listing indexes)
    let reopened = Catalog::open(&path).unwrap();
    assert_eq!(reopened.collection("old").unwrap().meta, meta("1.0.0"));
}

#[test]
fn metadata_updates_in_place_and_only_when_it_changes() {
    let catalog = Catalog::open_in_memory().unwrap();
    catalog.create_collection("plugin", "first").unwrap();
    catalog.put_artifact(&artifact("agent", "a")).unwrap();
    catalog
        .add_to_collection("plugin", &[key("agent", "a")])
        .unwrap();

    let (changed, statements) = cost(&catalog, || {
        catalog.update_collection("plugin", "second", &meta("1.0.0"))
    });
    assert!(changed.unwrap());
    assert_eq!(statements, 2, "one read, one update");
    let (changed, statements) = cost(&catalog, || {
        catalog.update_collection("plugin", "second", &meta("1.0.0"))
    });
    assert!(!changed.unwrap());
    assert_eq!(statements, 1, "an unchanged collection is only read");

    assert!(
        catalog
            .update_collection("plugin", "second", &meta("1.1.0"))
            .unwrap()
    );
    let detail = catalog.collection("plugin").unwrap();
    assert_eq!(detail.collection.description, "second");
    assert_eq!(detail.meta.version.as_deref(), Some("1.1.0"));
    // Members and counts are untouched.
    assert_eq!(detail.collection.artifact_count, 1);
    assert!(catalog.verify_counts().unwrap().is_empty());

    assert!(matches!(
        catalog.update_collection("nope", "", &CollectionMeta::default()),
        Err(Error::NotFound { .. })
    ));
}
