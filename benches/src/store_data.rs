//! The catalogue benchmark data and the query patterns stencil's catalogue
//! is measured against: the original's N+1 listing, one `GROUP BY`, and the
//! naive per-row collections page and template load.
//!
//! Shared by `benches/benches/store.rs` (criterion) and the `report`
//! binary, so both measure the same data the same way.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use stencil::store::{ArtifactKey, ArtifactQuery, Catalog, NewArtifact, TemplateSpec};

/// Tags spread over the artifacts.
pub const TAGS: usize = 20;
/// The page size the targets are stated for.
pub const PAGE: usize = 50;
/// The template `build` creates: 10 entities.
pub const TEMPLATE: &str = "bench-template";

/// Artifact types cycled through.
pub const TYPES: [&str; 8] = [
    "skill",
    "command",
    "agent",
    "rule_file",
    "context_file",
    "hook",
    "mcp",
    "workflow",
];

/// Artifact `i` of a catalogue of `total`: one file, two tags.
pub fn artifact(i: usize, total: usize) -> NewArtifact {
    let kind = TYPES[i % TYPES.len()];
    let name = format!("artifact-{:06}", (i * 7919) % total.max(1));
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

/// The filtered listing both catalogue benches time: one type, one tag, a
/// page of [`PAGE`].
pub fn filtered_page() -> ArtifactQuery {
    ArtifactQuery::new()
        .kind("skill")
        .tag("tag03")
        .limit(PAGE as u32)
}

/// Collection `c`'s name.
pub fn collection(c: usize) -> String {
    format!("collection-{c:04}")
}

/// Fills `catalog` (any backend) with `artifacts` artifacts in `collections`
/// collections, each artifact in two; returns the keys in creation order.
/// Imports in chunks of 5,000 so a server backend's transactions stay small.
pub fn populate(catalog: &Catalog, artifacts: usize, collections: usize) -> Vec<ArtifactKey> {
    let items: Vec<NewArtifact> = (0..artifacts).map(|i| artifact(i, artifacts)).collect();
    let keys: Vec<ArtifactKey> = items.iter().map(|a| a.key.clone()).collect();
    for chunk in items.chunks(5_000) {
        catalog.import(chunk.to_vec()).expect("import");
    }
    let mut members: Vec<Vec<ArtifactKey>> = vec![Vec::new(); collections];
    for (i, k) in keys.iter().enumerate() {
        members[i % collections].push(k.clone());
        members[(i * 31 + 7) % collections].push(k.clone());
    }
    for (c, keys) in members.iter().enumerate() {
        catalog
            .create_collection(&collection(c), "bench")
            .expect("collection");
        catalog
            .add_to_collection(&collection(c), keys)
            .expect("members");
    }
    keys
}

/// Builds a SQLite catalogue of `artifacts` artifacts at `path`, in
/// `collections` collections (each artifact in two), with a 10-entity
/// template.
pub fn build(path: &Path, artifacts: usize, collections: usize) -> Catalog {
    let catalog = Catalog::builder()
        .cache_ttl(Duration::from_secs(3600))
        .open(path)
        .expect("open bench catalogue");
    let keys = populate(&catalog, artifacts, collections);
    let mut spec = TemplateSpec::new(TEMPLATE);
    for k in keys.iter().take(10) {
        spec = spec.entity(k.clone(), true);
    }
    catalog.create_template(&spec).expect("template");
    catalog
}

/// A raw connection to the same file for the baselines, with the same page
/// cache as the catalogue so only the query pattern differs.
pub fn raw(path: &Path) -> Connection {
    let raw = Connection::open(path).expect("raw connection");
    raw.pragma_update(None, "cache_size", -65_536)
        .expect("cache size");
    raw
}

fn id_list(ids: impl Iterator<Item = i64>) -> String {
    format!(
        "[{}]",
        ids.map(|i| i.to_string()).collect::<Vec<_>>().join(",")
    )
}

/// The original's listing: the page, its memberships, then one COUNT per
/// membership (1 + 1 + ~100 statements for 50 artifacts). Statements are
/// prepared once, which is kinder than the original was.
pub fn n_plus_one(conn: &Connection, offset: i64) -> usize {
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
    let links: Vec<(i64, i64, String)> = memberships
        .query_map([id_list(rows.iter().map(|r| r.0))], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
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
pub fn group_by(conn: &Connection, offset: i64) -> usize {
    let mut page = conn
        .prepare_cached("SELECT id FROM artifacts ORDER BY name, id LIMIT ?1 OFFSET ?2")
        .expect("prepare");
    let ids: Vec<i64> = page
        .query_map([PAGE as i64, offset], |r| r.get(0))
        .expect("page")
        .collect::<Result<_, _>>()
        .expect("page");
    let mut counts = conn
        .prepare_cached(
            "SELECT collection_id, COUNT(*) FROM collection_members WHERE collection_id IN \
             (SELECT collection_id FROM collection_members \
              WHERE artifact_id IN (SELECT value FROM json_each(?1))) \
             GROUP BY collection_id",
        )
        .expect("prepare");
    let n = counts
        .query_map([id_list(ids.iter().copied())], |r| r.get::<_, i64>(1))
        .expect("group by")
        .count();
    black_box(n);
    ids.len()
}

/// The original's collections page: the page, then two COUNT queries per
/// row (artifacts and groups).
pub fn collections_n_plus_one(conn: &Connection) -> usize {
    let mut page = conn
        .prepare_cached("SELECT id, name, description FROM collections ORDER BY name LIMIT ?1")
        .expect("prepare");
    let rows: Vec<(i64, String, String)> = page
        .query_map([PAGE as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("page")
        .collect::<Result<_, _>>()
        .expect("page");
    let mut artifacts = conn
        .prepare_cached("SELECT COUNT(*) FROM collection_members WHERE collection_id = ?1")
        .expect("prepare");
    let mut groups = conn
        .prepare_cached("SELECT COUNT(*) FROM collection_groups WHERE collection_id = ?1")
        .expect("prepare");
    let mut total = 0i64;
    for (id, _, _) in &rows {
        total += artifacts
            .query_row([id], |r| r.get::<_, i64>(0))
            .expect("count");
        total += groups
            .query_row([id], |r| r.get::<_, i64>(0))
            .expect("count");
    }
    black_box(total);
    rows.len()
}

/// A naive template load: the entities, then per entity its artifact row,
/// then per file its blob (1 + 2 per entity + 1 per file statements).
pub fn template_naive(conn: &Connection) -> usize {
    let mut entities = conn
        .prepare_cached(
            "SELECT e.artifact_id FROM template_entities e JOIN templates t ON t.id = e.template_id \
             WHERE t.name = ?1 ORDER BY e.deploy_order",
        )
        .expect("prepare");
    let ids: Vec<i64> = entities
        .query_map([TEMPLATE], |r| r.get(0))
        .expect("entities")
        .collect::<Result<_, _>>()
        .expect("entities");
    let mut artifact = conn
        .prepare_cached("SELECT type, name, description FROM artifacts WHERE id = ?1")
        .expect("prepare");
    let mut files = conn
        .prepare_cached("SELECT path, blob_hash FROM artifact_files WHERE artifact_id = ?1")
        .expect("prepare");
    let mut blob = conn
        .prepare_cached("SELECT content FROM blobs WHERE hash = ?1")
        .expect("prepare");
    let mut bytes = 0;
    for id in &ids {
        let row: (String, String, String) = artifact
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("artifact");
        black_box(row);
        let list: Vec<(String, Vec<u8>)> = files
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("files")
            .collect::<Result<_, _>>()
            .expect("files");
        for (_, hash) in list {
            let content: Vec<u8> = blob.query_row([hash], |r| r.get(0)).expect("blob");
            bytes += content.len();
        }
    }
    bytes
}
