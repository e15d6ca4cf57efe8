//! What only the PostgreSQL backend has: schema versions in a table, the
//! count-mode switch, retryable errors when a connection drops, and handles
//! sharing one pool across threads. Each test skips with a printed notice
//! when no server answers (`common::pg_target`).
#![cfg(feature = "postgres")]

mod common;

use std::time::Duration;

use common::{artifact, key, pg_schema, pg_target};
use stencil_store::{Backend, Catalog, CatalogBuilder, CountMode, Error, TemplateSpec};

/// A target, a fresh schema and an admin client on it; `None` (after the
/// notice) when the tests have no server.
fn setup(test: &str) -> Option<(String, postgres::Client, String)> {
    let target = pg_target(test)?;
    let (mut admin, schema) = pg_schema(&target);
    admin
        .batch_execute(&format!("SET search_path TO {schema}"))
        .unwrap();
    Some((target, admin, schema))
}

fn drop_schema(mut admin: postgres::Client, schema: &str) {
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

fn builder(schema: &str) -> CatalogBuilder {
    Catalog::builder().postgres_schema(schema)
}

#[test]
fn reopening_is_idempotent_and_a_newer_schema_is_refused() {
    let Some((target, mut admin, schema)) = setup("newer schema") else {
        return;
    };
    {
        let c = builder(&schema).open_postgres(&target).unwrap();
        assert_eq!(c.backend(), Backend::Postgres);
        assert!(c.path().starts_with("postgres://"), "{}", c.path());
        assert!(c.path().contains(&schema), "{}", c.path());
        c.put_artifact(&artifact("skill", "kept")).unwrap();
    }
    let c = builder(&schema).open_postgres(&target).unwrap();
    assert_eq!(c.artifact(&key("skill", "kept")).unwrap().files.len(), 1);
    drop(c);
    admin
        .batch_execute("UPDATE stencil_schema SET version = 99")
        .unwrap();
    let err = builder(&schema).open_postgres(&target).unwrap_err();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("99") && msg.contains("upgrade stencil"),
        "{msg}"
    );
    drop_schema(admin, &schema);
}

/// A failing migration says what the server said, not only "db error".
#[test]
fn a_failing_migration_reports_the_servers_message() {
    let Some((target, mut admin, schema)) = setup("failing migration") else {
        return;
    };
    // A schema that claims version 4 but lacks the tables migration 5 alters.
    admin
        .batch_execute(
            "CREATE TABLE stencil_schema (version BIGINT NOT NULL, \
             count_mode TEXT NOT NULL DEFAULT 'triggers'); \
             INSERT INTO stencil_schema (version) VALUES (4)",
        )
        .unwrap();
    let err = builder(&schema).open_postgres(&target).unwrap_err();
    assert!(matches!(err, Error::Migration { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("schema version 5") && msg.contains(r#"relation "templates" does not exist"#),
        "{msg}"
    );
    assert!(msg.contains("42P01"), "the SQLSTATE is named: {msg}");
    drop_schema(admin, &schema);
}

#[test]
fn a_schema_with_foreign_tables_is_refused_not_migrated() {
    let Some((target, mut admin, schema)) = setup("foreign schema") else {
        return;
    };
    admin
        .batch_execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY)")
        .unwrap();
    let err = builder(&schema).open_postgres(&target).unwrap_err();
    assert!(err.to_string().contains("not a stencil catalogue"), "{err}");
    let tables: i64 = admin
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 1, "nothing was created next to the foreign table");
    drop_schema(admin, &schema);
}

#[test]
fn a_missing_schema_and_a_bad_connection_string_are_clear_errors() {
    let Some(target) = pg_target("missing schema") else {
        return;
    };
    let err = builder("stencil_no_such_schema")
        .open_postgres(&target)
        .unwrap_err();
    assert!(err.to_string().contains("create the schema"), "{err}");

    let err = Catalog::open_postgres("host=127.0.0.1 port=notaport password=hunter2").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
    assert!(!msg.contains("hunter2"), "the password leaked: {msg}");
}

#[test]
fn switching_count_modes_keeps_counts_exact() {
    let Some((target, admin, schema)) = setup("count modes") else {
        return;
    };
    let open = |mode: Option<CountMode>| {
        let mut b = builder(&schema).cache_ttl(Duration::ZERO);
        if let Some(mode) = mode {
            b = b.count_mode(mode);
        }
        b.open_postgres(&target).unwrap()
    };
    let c = open(Some(CountMode::Query));
    assert_eq!(c.count_mode(), CountMode::Query);
    let keys: Vec<_> = (0..5).map(|i| key("skill", &format!("a{i}"))).collect();
    for k in &keys {
        c.put_artifact(&artifact("skill", k.name())).unwrap();
    }
    c.create_collection("docs", "").unwrap();
    c.create_group("docs", "g", 0).unwrap();
    c.add_to_group("docs", "g", &keys[..3]).unwrap();
    c.add_to_collection("docs", &keys).unwrap();
    let detail = c.collection("docs").unwrap();
    assert_eq!(detail.collection.artifact_count, 5);
    assert_eq!(detail.groups[0].artifact_count, 3);
    assert_eq!(c.collection_artifact_count("docs").unwrap(), 5);
    drop(c);

    // Unset: an existing catalogue keeps its mode.
    assert_eq!(open(None).count_mode(), CountMode::Query);

    // Back to triggers: the counters, not kept meanwhile, are recounted.
    let c = open(Some(CountMode::Triggers));
    assert_eq!(c.count_mode(), CountMode::Triggers);
    assert!(c.verify_counts().unwrap().is_empty());
    assert_eq!(c.collection("docs").unwrap().collection.artifact_count, 5);
    c.remove_from_collection("docs", &keys[..1]).unwrap();
    let detail = c.collection("docs").unwrap();
    assert_eq!(
        (
            detail.collection.artifact_count,
            detail.groups[0].artifact_count
        ),
        (4, 2)
    );
    drop(c);
    drop_schema(admin, &schema);
}

#[test]
fn sqlite_refuses_the_trigger_free_mode() {
    let err = Catalog::builder()
        .count_mode(CountMode::Query)
        .open_in_memory()
        .unwrap_err();
    assert!(err.to_string().contains("PostgreSQL"), "{err}");
}

#[test]
fn a_dropped_connection_is_a_retryable_error_and_the_next_call_reconnects() {
    let Some((target, admin, schema)) = setup("dropped connection") else {
        return;
    };
    let app = format!("stencil_drop_{schema}");
    let target_app = if target.contains("://") {
        let sep = if target.contains('?') { '&' } else { '?' };
        format!("{target}{sep}application_name={app}")
    } else {
        format!("{target} application_name={app}")
    };
    let c = builder(&schema)
        .pool_size(1)
        .open_postgres(&target_app)
        .unwrap();
    c.create_collection("before", "").unwrap();

    let mut killer = postgres::Client::connect(&target, postgres::NoTls).unwrap();
    let killed: i64 = killer
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1, "the catalogue's one pooled connection");

    let err = c.create_collection("during", "").unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
    // The broken connection was discarded; the retry gets a new one.
    c.create_collection("during", "").unwrap();
    let names: Vec<String> = c
        .list_collections(10, None)
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["before", "during"]);
    drop(c);
    drop_schema(admin, &schema);
}

#[test]
fn handles_share_the_pool_and_the_cache_across_threads() {
    let Some((target, admin, schema)) = setup("threads") else {
        return;
    };
    let c = builder(&schema)
        .pool_size(4)
        .cache_ttl(Duration::from_secs(3600))
        .open_postgres(&target)
        .unwrap();
    c.create_collection("shared", "").unwrap();
    assert_eq!(c.collection_artifact_count("shared").unwrap(), 0);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let h = c.try_clone().unwrap();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let a = artifact("skill", &format!("t{t}_{i}"));
                    h.put_artifact(&a).unwrap();
                    h.add_to_collection("shared", &[a.key]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // The long TTL would serve the stale 0 had the other handles' writes
    // not invalidated the shared cache.
    assert_eq!(c.collection_artifact_count("shared").unwrap(), 40);
    assert!(c.verify_counts().unwrap().is_empty());
    assert!(c.stats().statements > 80, "statistics are shared");
    drop(c);
    drop_schema(admin, &schema);
}

#[test]
fn a_corrupted_blob_is_reported_with_artifact_and_path() {
    let Some((target, mut admin, schema)) = setup("corrupt blob") else {
        return;
    };
    let c = builder(&schema).open_postgres(&target).unwrap();
    let a = artifact("skill", "review").file("b.md", "second file");
    c.put_artifact(&a).unwrap();
    c.create_template(&TemplateSpec::new("t").entity(a.key.clone(), true))
        .unwrap();
    let changed = admin
        .execute(
            "UPDATE blobs SET content = 'tampered'::bytea WHERE size = 11",
            &[],
        )
        .unwrap();
    assert_eq!(changed, 1);
    for err in [
        c.artifact(&a.key).unwrap_err(),
        c.load_template("t").unwrap_err(),
    ] {
        match &err {
            Error::Corrupt { artifact, path, .. } => {
                assert_eq!((artifact.as_str(), path.as_str()), ("skill:review", "b.md"));
            }
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }
    drop(c);
    drop_schema(admin, &schema);
}

#[test]
fn a_schema_2_database_is_migrated_to_collection_metadata() {
    let Some((target, mut admin, schema)) = setup("collection metadata migration") else {
        return;
    };
    drop(builder(&schema).open_postgres(&target).unwrap());
    // Back to what schema 2 was: no metadata columns, no settings table,
    // no following templates, the listing indexes of 0001.
    admin
        .batch_execute(
            "ALTER TABLE collections DROP COLUMN version, DROP COLUMN author, \
             DROP COLUMN license, DROP COLUMN homepage;
             DROP TABLE settings;
             DROP INDEX templates_by_collection;
             ALTER TABLE templates DROP COLUMN follows_collection;
             DROP INDEX artifacts_type_name_key, artifacts_by_name;
             ALTER TABLE artifacts ADD CONSTRAINT artifacts_type_name_key UNIQUE (type, name);
             CREATE INDEX artifacts_by_name ON artifacts (name, id);
             UPDATE stencil_schema SET version = 2;
             INSERT INTO collections (name, description, created_at) VALUES ('old', 'kept', 0);",
        )
        .unwrap();
    let c = builder(&schema).open_postgres(&target).unwrap();
    let old = c.collection("old").unwrap();
    assert_eq!(old.collection.description, "kept");
    assert_eq!(old.meta, stencil_store::CollectionMeta::default());
    let meta = stencil_store::CollectionMeta {
        version: Some("2.0.0".into()),
        ..Default::default()
    };
    assert!(c.update_collection("old", "kept", &meta).unwrap());
    assert!(!c.update_collection("old", "kept", &meta).unwrap());
    assert_eq!(c.collection("old").unwrap().meta, meta);
    let version: i64 = admin
        .query_one("SELECT version FROM stencil_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 7); // the newest schema (0007, listing indexes)
    drop(c);
    drop_schema(admin, &schema);
}

/// A tag filter on PostgreSQL reads the rows' `tag_names` copy through the
/// listing indexes (migration 0007) instead of probing `artifact_tags`: a
/// tag matches whole names only (not a prefix, suffix or infix of another
/// tag, nor two tags joined), combined with types, several tags and the
/// keyset cursor, and pages by name and by update time agree with the
/// tag links (the truth the copy is checked against).
#[test]
fn tag_filters_match_whole_tag_names_on_every_page() {
    use stencil_store::{ArtifactQuery, ArtifactSort};
    let Some((target, mut admin, schema)) = setup("tag filter on the tag_names copy") else {
        return;
    };
    let c = builder(&schema).open_postgres(&target).unwrap();
    let tags = ["ab", "abc", "xab", "a", "b", "zz"];
    let mut items = Vec::new();
    for i in 0..60 {
        let kind = if i % 3 == 0 { "skill" } else { "agent" };
        let mut a = artifact(kind, &format!("n{:02}", (i * 37) % 60));
        for (t, tag) in tags.iter().enumerate() {
            if (i >> t) & 1 == 1 {
                a = a.tag(*tag);
            }
        }
        items.push(a);
    }
    c.import(items).unwrap();
    for sort in [ArtifactSort::Name, ArtifactSort::RecentlyUpdated] {
        for (kinds, wanted) in [
            (&[][..], &["ab"][..]),
            (&[], &["a"]),
            (&[], &["b"]),
            (&[], &["ab", "b"]),
            (&["skill"], &["abc"]),
            (&["skill", "agent"], &["zz", "a"]),
        ] {
            let mut expected: Vec<String> = admin
                .query(
                    "SELECT a.type || ':' || a.name FROM artifacts a WHERE \
                     (cardinality($1::text[]) = 0 OR a.type = ANY($1)) AND \
                     (SELECT count(*) FROM artifact_tags x JOIN tags t ON t.id = x.tag_id \
                      WHERE x.artifact_id = a.id AND t.name = ANY($2)) = cardinality($2) \
                     ORDER BY a.name, a.id",
                    &[&kinds, &wanted],
                )
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert!(!expected.is_empty(), "{kinds:?} {wanted:?}");
            let mut q = ArtifactQuery::new().sort(sort).limit(4);
            for k in kinds {
                q = q.kind(*k);
            }
            for t in wanted {
                q = q.tag(*t);
            }
            let mut got = Vec::new();
            loop {
                let page = c.list_artifacts(&q).unwrap();
                for item in &page.items {
                    for t in wanted {
                        assert!(item.tags.iter().any(|x| x == t), "{item:?}");
                    }
                    got.push(item.key.to_string());
                }
                match page.next_cursor {
                    Some(cursor) => q = q.after(cursor),
                    None => break,
                }
            }
            if sort == ArtifactSort::RecentlyUpdated {
                // One import: equal update times, newest id first.
                got.sort();
                expected.sort();
            }
            assert_eq!(got, expected, "{sort:?} {kinds:?} {wanted:?}");
        }
    }
    assert!(c.verify_counts().unwrap().is_empty());
    drop(c);
    drop_schema(admin, &schema);
}
