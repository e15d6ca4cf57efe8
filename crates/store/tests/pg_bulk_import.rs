//! Import on PostgreSQL writes a batch of up to 1,000 artifacts with one
//! statement per table (`catalog/bulk_import.rs`): the statement budget per
//! batch, and that the batches keep the per-artifact semantics — versions
//! as a history, shared blobs, tags, re-import outcomes, repeated keys.
//! Skips with a printed notice when no server answers.
#![cfg(feature = "postgres")]

mod common;

use common::{artifact, cost, key, pg_schema, pg_target};
use stencil_store::{Catalog, NewArtifact};

/// Artifacts per batch (`bulk_import::BATCH_ARTIFACTS`).
const BATCH: usize = 1_000;

/// Statements of one batch of new artifacts: artifacts, blobs, files,
/// versions, tags, tag links.
const NEW_BATCH: u64 = 6;

/// Statements of one batch with updated artifacts: those 6, plus reading
/// the stored ones, updating them, and clearing their files and tag links.
const UPDATE_BATCH: u64 = 10;

fn items(n: usize, content: &str) -> Vec<NewArtifact> {
    (0..n)
        .map(|i| {
            let mut a = artifact("skill", &format!("a{i:05}"))
                .tag(format!("t{}", i % 7))
                .tag("common");
            // Half the artifacts share their content: one blob for them all.
            a.files[0].content = if i % 2 == 0 {
                format!("shared {content}").into_bytes()
            } else {
                format!("own {i} {content}").into_bytes()
            };
            a
        })
        .collect()
}

fn scalar(admin: &mut postgres::Client, sql: &str) -> i64 {
    admin.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn import_costs_a_fixed_number_of_statements_per_batch_not_per_artifact() {
    let Some(target) = pg_target("bulk import budget") else {
        return;
    };
    let (mut admin, schema) = pg_schema(&target);
    admin
        .batch_execute(&format!("SET search_path TO {schema}"))
        .unwrap();
    let c = Catalog::builder()
        .postgres_schema(&schema)
        .open_postgres(&target)
        .unwrap();
    let n = 2 * BATCH + BATCH / 2; // three batches
    let batches = 3;

    let tx_before = c.stats().transactions;
    let (report, statements) = cost(&c, || c.import(items(n, "v1")).unwrap());
    assert_eq!(report.created.len(), n);
    assert_eq!(report.created[17], key("skill", "a00017"), "input order");
    assert!(
        statements <= batches * NEW_BATCH && statements > 0,
        "{statements} statements for {n} new artifacts, budget {}",
        batches * NEW_BATCH
    );
    assert_eq!(c.stats().transactions - tx_before, 2, "one transaction");
    let n64 = n as i64;
    assert_eq!(scalar(&mut admin, "SELECT count(*) FROM artifacts"), n64);
    assert_eq!(
        scalar(&mut admin, "SELECT count(*) FROM blobs"),
        1 + n64 / 2,
        "identical contents share one blob"
    );
    assert_eq!(
        scalar(
            &mut admin,
            "SELECT count(*) FROM artifact_versions WHERE version = 1"
        ),
        n64
    );
    assert_eq!(
        scalar(&mut admin, "SELECT count(*) FROM artifact_tags"),
        2 * n64
    );
    assert_eq!(scalar(&mut admin, "SELECT count(*) FROM tags"), 8);
    let one = c.artifact(&key("skill", "a00003")).unwrap();
    assert_eq!(
        (one.version, one.tags.clone()),
        (1, vec!["common".to_owned(), "t3".to_owned()])
    );
    assert_eq!(one.files[0].content, b"own 3 v1");

    // The same again: all unchanged, one insert attempt and one read per batch.
    let (report, statements) = cost(&c, || c.import(items(n, "v1")).unwrap());
    assert_eq!((report.unchanged.len(), report.created.len()), (n, 0));
    assert!(
        statements <= batches * 2,
        "{statements} statements unchanged"
    );

    // Every other artifact changes content, every third one its tags too.
    let mut next = items(n, "v1");
    for (i, a) in next.iter_mut().enumerate() {
        if i % 2 == 1 {
            a.files[0].content = format!("own {i} v2").into_bytes();
        }
        if i % 3 == 0 {
            a.tags = vec!["fresh".to_owned()];
        }
    }
    let (report, statements) = cost(&c, || c.import(next).unwrap());
    let changed = (0..n).filter(|i| i % 2 == 1 || i % 3 == 0).count();
    assert_eq!(report.updated.len(), changed);
    assert_eq!(report.unchanged.len(), n - changed);
    assert!(
        statements <= batches * UPDATE_BATCH,
        "{statements} statements for updates, budget {}",
        batches * UPDATE_BATCH
    );
    let odd = c.artifact(&key("skill", "a00001")).unwrap();
    assert_eq!(
        (odd.version, odd.files[0].content.as_slice()),
        (2, &b"own 1 v2"[..])
    );
    let retagged = c.artifact(&key("skill", "a00006")).unwrap();
    assert_eq!(
        (retagged.version, retagged.tags),
        (1, vec!["fresh".to_owned()])
    );
    let versions = c.versions(&key("skill", "a00003")).unwrap();
    assert_eq!(versions.len(), 2, "a00003: content and tags changed");

    // Back to the first content: the next version with the first digest.
    let (report, _) = cost(&c, || c.import(items(n, "v1")).unwrap());
    assert_eq!(report.updated.len(), changed);
    let back = c.versions(&key("skill", "a00001")).unwrap();
    assert_eq!(back.len(), 3);
    assert_eq!(back[0].digest, back[2].digest);
    assert!(c.verify_counts().unwrap().is_empty());
    drop(c);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn a_key_repeated_in_one_import_sees_its_first_occurrence_and_errors_store_nothing() {
    let Some(target) = pg_target("bulk import repeats") else {
        return;
    };
    let (mut admin, schema) = pg_schema(&target);
    let c = Catalog::builder()
        .postgres_schema(&schema)
        .open_postgres(&target)
        .unwrap();
    let report = c
        .import([
            artifact("skill", "x"),
            artifact("skill", "x").file("more.md", "more"),
            artifact("skill", "x").file("more.md", "more"),
            artifact("skill", "y"),
        ])
        .unwrap();
    assert_eq!(report.created, vec![key("skill", "x"), key("skill", "y")]);
    assert_eq!(report.updated, vec![key("skill", "x")]);
    assert_eq!(report.unchanged, vec![key("skill", "x")]);
    assert_eq!(c.artifact(&key("skill", "x")).unwrap().version, 2);

    // An invalid artifact in the second batch undoes the first batch too.
    let mut many: Vec<NewArtifact> = (0..BATCH + 5)
        .map(|i| artifact("agent", &format!("b{i}")))
        .collect();
    many.push(NewArtifact::new(key("agent", "empty")));
    let err = c.import(many).unwrap_err();
    assert!(err.to_string().contains("agent:empty"), "{err}");
    assert!(c.artifact(&key("agent", "b0")).is_err(), "all or nothing");
    drop(c);
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}
