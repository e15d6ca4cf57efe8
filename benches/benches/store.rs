//! Catalogue benchmarks: stencil's listing page beside the original's N+1
//! COUNT pattern, one GROUP BY aggregation and a primary-key lookup (the
//! per-statement floor), all on the same file in the same run; the count
//! cache; bulk import; and a membership insert with and without the counting
//! triggers.
//!
//! Data: 100,000 artifacts, 1,000 collections, 200,000 memberships (each
//! artifact in two collections), 20 tags.
//!
//! Run: `cargo bench -p stencil-benches --bench store -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rusqlite::Connection;
use stencil::store::{ArtifactQuery, Catalog, NewArtifact};
use stencil_benches::store_data::{self, PAGE, collection, group_by, n_plus_one};

#[path = "common/catalog_import.rs"]
mod common;

const ARTIFACTS: usize = 100_000;
const COLLECTIONS: usize = 1_000;

fn artifact(i: usize) -> NewArtifact {
    store_data::artifact(i, ARTIFACTS)
}

fn build(path: &Path) -> Catalog {
    store_data::build(path, ARTIFACTS, COLLECTIONS)
}

fn listing(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench.db");
    let catalog = build(&path);
    let raw = Connection::open(&path).expect("raw connection");
    // The baselines get the catalogue's page cache, so only the query
    // pattern differs.
    raw.pragma_update(None, "cache_size", -65_536)
        .expect("cache size");

    // A cursor deep into the listing (page 1,000), for the keyset case.
    let mut deep = ArtifactQuery::new().limit(100);
    for _ in 0..(PAGE * 1000 / 100) {
        let page = catalog.list_artifacts(&deep).expect("walk");
        deep = deep.clone().after(page.next_cursor.expect("more pages"));
    }
    let deep = deep.limit(PAGE as u32);

    let mut group = c.benchmark_group("store/listing_page_50");
    group.bench_function("pk_point_lookup", |b| {
        let mut stmt = raw
            .prepare_cached("SELECT name FROM artifacts WHERE id = ?1")
            .expect("prepare");
        let mut id = 0i64;
        b.iter(|| {
            id = id % ARTIFACTS as i64 + 1;
            let name: String = stmt.query_row([id], |r| r.get(0)).expect("lookup");
            black_box(name)
        })
    });
    group.bench_function("n_plus_one_baseline", |b| {
        b.iter(|| black_box(n_plus_one(&raw, 0)))
    });
    group.bench_function("group_by_baseline", |b| {
        b.iter(|| black_box(group_by(&raw, 0)))
    });
    let first = ArtifactQuery::new().limit(PAGE as u32);
    group.bench_function("catalog_list_artifacts_first_page", |b| {
        b.iter(|| black_box(catalog.list_artifacts(&first).expect("page")))
    });
    group.bench_function("catalog_list_artifacts_page_1000", |b| {
        b.iter(|| black_box(catalog.list_artifacts(&deep).expect("page")))
    });
    group.bench_function("n_plus_one_baseline_page_1000", |b| {
        b.iter(|| black_box(n_plus_one(&raw, (PAGE * 999) as i64)))
    });
    let filtered = store_data::filtered_page();
    group.bench_function("catalog_list_artifacts_filtered", |b| {
        b.iter(|| black_box(catalog.list_artifacts(&filtered).expect("page")))
    });
    group.finish();

    let mut group = c.benchmark_group("store/counts");
    let name = collection(17);
    group.bench_function("cache_hit_collection_count", |b| {
        catalog.collection_artifact_count(&name).expect("warm");
        b.iter(|| {
            black_box(
                catalog
                    .collection_artifact_count(black_box(&name))
                    .expect("hit"),
            )
        })
    });
    let uncached = Catalog::builder()
        .cache_ttl(Duration::ZERO)
        .open(&path)
        .expect("second catalogue");
    group.bench_function("cache_miss_collection_count", |b| {
        b.iter(|| {
            black_box(
                uncached
                    .collection_artifact_count(black_box(&name))
                    .expect("miss"),
            )
        })
    });
    group.bench_function("count_star_group_by_one_collection", |b| {
        let mut stmt = raw
            .prepare_cached("SELECT COUNT(*) FROM collection_members WHERE collection_id = 18")
            .expect("prepare");
        b.iter(|| black_box(stmt.query_row([], |r| r.get::<_, i64>(0)).expect("count")))
    });
    group.bench_function("pragma_data_version", |b| {
        let mut stmt = raw.prepare_cached("PRAGMA data_version").expect("prepare");
        b.iter(|| black_box(stmt.query_row([], |r| r.get::<_, i64>(0)).expect("pragma")))
    });
    group.finish();

    let mut group = c.benchmark_group("store/facets");
    group.sample_size(10);
    let all = ArtifactQuery::new();
    group.bench_function("facets_all_uncached", |b| {
        b.iter(|| black_box(uncached.facets(&all).expect("facets")))
    });
    group.bench_function("facets_all_cached", |b| {
        b.iter(|| black_box(catalog.facets(&all).expect("facets")))
    });
    group.finish();
}

fn import(c: &mut Criterion) {
    common::bench_import(
        c,
        "store/import",
        "import_10k_artifacts_file",
        10_000,
        || {
            let dir = tempfile::tempdir().expect("tempdir");
            let catalog = Catalog::open(dir.path().join("import.db")).expect("open");
            (catalog, dir)
        },
    );
}

/// Membership inserts with and without the counting triggers, on two copies
/// of the same schema: 1,000 inserts in a transaction that is rolled back, so
/// every iteration starts from the same state.
fn membership_insert(c: &mut Criterion) {
    const N: i64 = 1_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conns = Vec::new();
    for (label, triggers) in [("with_triggers", true), ("without_triggers", false)] {
        let path = dir.path().join(format!("{label}.db"));
        let catalog = Catalog::open(&path).expect("open");
        catalog
            .import((0..N as usize).map(artifact))
            .expect("import");
        catalog.create_collection("target", "").expect("collection");
        drop(catalog);
        let conn = Connection::open(&path).expect("raw");
        conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
        if !triggers {
            conn.execute_batch(
                "DROP TRIGGER collection_members_count_insert; \
                 DROP TRIGGER collection_members_count_delete;",
            )
            .expect("drop triggers");
        }
        conns.push((label, conn));
    }
    let mut group = c.benchmark_group("store/membership_insert_1000");
    group.throughput(Throughput::Elements(N as u64));
    for (label, conn) in &mut conns {
        let target: i64 = conn
            .query_row(
                "SELECT id FROM collections WHERE name = 'target'",
                [],
                |r| r.get(0),
            )
            .expect("target collection");
        group.bench_function(*label, |b| {
            b.iter(|| {
                let tx = conn.transaction().expect("begin");
                {
                    let mut insert = tx
                        .prepare_cached(
                            "INSERT INTO collection_members (collection_id, artifact_id) \
                             VALUES (?1, ?2)",
                        )
                        .expect("prepare");
                    for id in 1..=N {
                        insert.execute([target, id]).expect("insert");
                    }
                }
                tx.rollback().expect("rollback");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, listing, import, membership_insert);
criterion_main!(benches);
