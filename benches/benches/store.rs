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

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rusqlite::Connection;
use stencil::store::{ArtifactKey, ArtifactQuery, Catalog, NewArtifact};

const ARTIFACTS: usize = 100_000;
const COLLECTIONS: usize = 1_000;
const TAGS: usize = 20;
const PAGE: usize = 50;

const TYPES: [&str; 8] = [
    "skill",
    "command",
    "agent",
    "rule_file",
    "context_file",
    "hook",
    "mcp",
    "workflow",
];

fn artifact(i: usize) -> NewArtifact {
    let kind = TYPES[i % TYPES.len()];
    let name = format!("artifact-{:06}", (i * 7919) % ARTIFACTS);
    let key = ArtifactKey::new(kind, name.clone()).expect("bench keys are valid");
    NewArtifact::new(key)
        .description(format!("The {name} {kind}, for benchmarks"))
        .file(
            format!(".claude/{kind}s/{name}.md"),
            format!("# {name}\n\nUse {{{{PROJECT}}}} carefully. Item {i}.\n"),
        )
        .tag(format!("tag{:02}", i % TAGS))
        .tag(format!("tag{:02}", (i / TAGS) % TAGS))
}

fn collection(c: usize) -> String {
    format!("collection-{c:04}")
}

/// Builds the benchmark catalogue at `path`.
fn build(path: &Path) -> Catalog {
    let catalog = Catalog::builder()
        .cache_ttl(Duration::from_secs(3600))
        .open(path)
        .expect("open bench catalogue");
    let items: Vec<NewArtifact> = (0..ARTIFACTS).map(artifact).collect();
    let keys: Vec<ArtifactKey> = items.iter().map(|a| a.key.clone()).collect();
    catalog.import(items).expect("import");
    let mut members: Vec<Vec<ArtifactKey>> = vec![Vec::new(); COLLECTIONS];
    for (i, k) in keys.iter().enumerate() {
        members[i % COLLECTIONS].push(k.clone());
        members[(i * 31 + 7) % COLLECTIONS].push(k.clone());
    }
    for (c, keys) in members.iter().enumerate() {
        catalog
            .create_collection(&collection(c), "bench")
            .expect("collection");
        catalog
            .add_to_collection(&collection(c), keys)
            .expect("members");
    }
    catalog
}

/// The original's listing: the page, its memberships, then one COUNT per
/// membership (1 + 1 + ~100 statements for 50 artifacts). Statements are
/// prepared once, which is kinder than the original was.
fn n_plus_one(conn: &Connection, offset: i64) -> usize {
    let mut page = conn
        .prepare_cached(
            "SELECT id, type, name, description FROM artifacts ORDER BY name, id LIMIT ?1 OFFSET ?2",
        )
        .expect("prepare");
    let rows: Vec<(i64, String, String, String)> = page
        .query_map([PAGE as i64, offset], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .expect("page")
        .collect::<Result<_, _>>()
        .expect("page");
    let mut memberships = conn
        .prepare_cached(
            "SELECT m.artifact_id, c.id, c.name FROM collection_members m \
             JOIN collections c ON c.id = m.collection_id \
             WHERE m.artifact_id IN (SELECT value FROM json_each(?1))",
        )
        .expect("prepare");
    let ids = format!(
        "[{}]",
        rows.iter()
            .map(|r| r.0.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let links: Vec<(i64, i64, String)> = memberships
        .query_map([ids], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("memberships")
        .collect::<Result<_, _>>()
        .expect("memberships");
    let mut count = conn
        .prepare_cached("SELECT COUNT(*) FROM collection_members WHERE collection_id = ?1")
        .expect("prepare");
    let mut total = 0i64;
    for (_, collection_id, _) in &links {
        total += count
            .query_row([collection_id], |r| r.get::<_, i64>(0))
            .expect("count");
    }
    black_box(total);
    rows.len()
}

/// The first repair one would try: the same page and memberships, then one
/// `GROUP BY` over the page's collections instead of a COUNT each.
fn group_by(conn: &Connection, offset: i64) -> usize {
    let mut page = conn
        .prepare_cached("SELECT id FROM artifacts ORDER BY name, id LIMIT ?1 OFFSET ?2")
        .expect("prepare");
    let ids: Vec<i64> = page
        .query_map([PAGE as i64, offset], |r| r.get(0))
        .expect("page")
        .collect::<Result<_, _>>()
        .expect("page");
    let json = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let mut counts = conn
        .prepare_cached(
            "SELECT collection_id, COUNT(*) FROM collection_members WHERE collection_id IN \
             (SELECT collection_id FROM collection_members \
              WHERE artifact_id IN (SELECT value FROM json_each(?1))) \
             GROUP BY collection_id",
        )
        .expect("prepare");
    let n = counts
        .query_map([json], |r| r.get::<_, i64>(1))
        .expect("group by")
        .count();
    black_box(n);
    ids.len()
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
    let filtered = ArtifactQuery::new()
        .kind("skill")
        .tag("tag03")
        .limit(PAGE as u32);
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
    const BATCH: usize = 10_000;
    let mut group = c.benchmark_group("store/import");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("import_10k_artifacts_file", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let catalog = Catalog::open(dir.path().join("import.db")).expect("open");
                let items: Vec<NewArtifact> = (0..BATCH).map(artifact).collect();
                (dir, catalog, items)
            },
            |(dir, catalog, items)| {
                let report = catalog.import(items).expect("import");
                assert_eq!(report.created.len(), BATCH);
                (dir, catalog)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
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
