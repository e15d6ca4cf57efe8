//! Trigger-maintained counts against a `GROUP BY` oracle, under random
//! sequences of mutations, with the count cache in front — each case runs
//! against SQLite and, when a server answers (`common::pg_target`), PostgreSQL in
//! both count modes (triggers, and GROUP BY + cache).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Oracle, PgModes, artifact, catalogs, key};
use proptest::prelude::*;
use stencil_store::{ArtifactQuery, Catalog, Error};

const ARTIFACTS: usize = 6;
const COLLECTIONS: usize = 3;
const GROUPS: usize = 2;
const TAGS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Add(usize, usize),
    Remove(usize, usize),
    GroupAdd(usize, usize, usize),
    GroupRemove(usize, usize, usize),
    CreateGroup(usize, usize),
    DeleteGroup(usize, usize),
    DeleteArtifact(usize),
    PutArtifact(usize),
    DeleteCollection(usize),
    CreateCollection(usize),
    RenameCollection(usize, usize),
    Tag(usize, usize),
    Untag(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let a = 0..ARTIFACTS;
    let c = 0..COLLECTIONS;
    let g = 0..GROUPS;
    let t = 0..TAGS;
    prop_oneof![
        4 => (c.clone(), a.clone()).prop_map(|(c, a)| Op::Add(c, a)),
        2 => (c.clone(), a.clone()).prop_map(|(c, a)| Op::Remove(c, a)),
        3 => (c.clone(), g.clone(), a.clone()).prop_map(|(c, g, a)| Op::GroupAdd(c, g, a)),
        1 => (c.clone(), g.clone(), a.clone()).prop_map(|(c, g, a)| Op::GroupRemove(c, g, a)),
        2 => (c.clone(), g.clone()).prop_map(|(c, g)| Op::CreateGroup(c, g)),
        1 => (c.clone(), g).prop_map(|(c, g)| Op::DeleteGroup(c, g)),
        1 => a.clone().prop_map(Op::DeleteArtifact),
        2 => a.clone().prop_map(Op::PutArtifact),
        1 => c.clone().prop_map(Op::DeleteCollection),
        2 => c.clone().prop_map(Op::CreateCollection),
        1 => (c.clone(), c).prop_map(|(x, y)| Op::RenameCollection(x, y)),
        2 => (a.clone(), t.clone()).prop_map(|(a, t)| Op::Tag(a, t)),
        1 => (a, t).prop_map(|(a, t)| Op::Untag(a, t)),
    ]
}

fn coll(c: usize) -> String {
    format!("c{c}")
}
fn art(a: usize) -> stencil_store::ArtifactKey {
    key("skill", &format!("a{a}"))
}

/// Applies an op; "does not exist" and "already exists" are expected
/// outcomes of a random sequence, anything else is a failure.
fn apply(catalog: &Catalog, op: &Op) {
    let r = match op {
        Op::Add(c, a) => catalog.add_to_collection(&coll(*c), &[art(*a)]).map(drop),
        Op::Remove(c, a) => catalog
            .remove_from_collection(&coll(*c), &[art(*a)])
            .map(drop),
        Op::GroupAdd(c, g, a) => catalog
            .add_to_group(&coll(*c), &format!("g{g}"), &[art(*a)])
            .map(drop),
        Op::GroupRemove(c, g, a) => catalog
            .remove_from_group(&coll(*c), &format!("g{g}"), &[art(*a)])
            .map(drop),
        Op::CreateGroup(c, g) => catalog.create_group(&coll(*c), &format!("g{g}"), *g as i64),
        Op::DeleteGroup(c, g) => catalog.delete_group(&coll(*c), &format!("g{g}")),
        Op::DeleteArtifact(a) => catalog.delete_artifact(&art(*a)),
        Op::PutArtifact(a) => catalog
            .put_artifact(&artifact("skill", &format!("a{a}")))
            .map(drop),
        Op::DeleteCollection(c) => catalog.delete_collection(&coll(*c)),
        Op::CreateCollection(c) => catalog.create_collection(&coll(*c), ""),
        Op::RenameCollection(x, y) => catalog.rename_collection(&coll(*x), &coll(*y)),
        Op::Tag(a, t) => catalog.add_tags(&art(*a), &[&format!("t{t}")]),
        Op::Untag(a, t) => catalog.remove_tags(&art(*a), &[&format!("t{t}")]),
    };
    match r {
        Ok(()) | Err(Error::NotFound { .. } | Error::AlreadyExists { .. }) => {}
        Err(e) => panic!("{op:?} failed: {e}"),
    }
}

/// Every count the catalogue reports, stored or cached, equals the oracle.
fn check(catalog: &Catalog, oracle: &Oracle) -> Result<(), TestCaseError> {
    let members = oracle.pairs(
        "SELECT c.name, COUNT(m.artifact_id) FROM collections c \
         LEFT JOIN collection_members m ON m.collection_id = c.id GROUP BY c.id",
    );
    let groups = oracle.pairs(
        "SELECT c.name, COUNT(g.id) FROM collections c \
         LEFT JOIN collection_groups g ON g.collection_id = c.id GROUP BY c.id",
    );
    let group_members = oracle.pairs(
        "SELECT c.name || '/' || g.name, COUNT(m.artifact_id) FROM collection_groups g \
         JOIN collections c ON c.id = g.collection_id \
         LEFT JOIN group_members m ON m.group_id = g.id GROUP BY g.id, c.name, g.name",
    );
    let tags = oracle.pairs(
        "SELECT t.name, COUNT(*) FROM artifact_tags l JOIN tags t ON t.id = l.tag_id GROUP BY t.id",
    );
    let total = oracle.scalar("SELECT COUNT(*) FROM artifacts");

    let page = catalog.list_collections(500, None).unwrap();
    let listed: BTreeMap<String, u64> = page
        .items
        .iter()
        .map(|c| (c.name.clone(), c.artifact_count))
        .collect();
    prop_assert_eq!(&listed, &members);
    let listed: BTreeMap<String, u64> = page
        .items
        .iter()
        .map(|c| (c.name.clone(), c.group_count))
        .collect();
    prop_assert_eq!(&listed, &groups);
    let mut listed = BTreeMap::new();
    for c in &page.items {
        for g in catalog.collection(&c.name).unwrap().groups {
            listed.insert(format!("{}/{}", c.name, g.name), g.artifact_count);
        }
    }
    prop_assert_eq!(&listed, &group_members);

    // Cached counts: read twice so the second read is a hit when the cache
    // holds the value; both must be current.
    for _ in 0..2 {
        for (name, n) in &members {
            prop_assert_eq!(catalog.collection_artifact_count(name).unwrap(), *n);
        }
        let cached: BTreeMap<String, u64> = catalog
            .tag_counts()
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.count))
            .collect();
        prop_assert_eq!(&cached, &tags);
        let facets = catalog.facets(&ArtifactQuery::new()).unwrap();
        prop_assert_eq!(facets.total, total as u64);
        let by_tag: BTreeMap<String, u64> = facets.by_tag.into_iter().collect();
        prop_assert_eq!(&by_tag, &tags);
    }
    // Each listed artifact's tags (the row's copy) and collections (with
    // live counts) equal the link tables.
    let mut expected_tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (a, t) in oracle.text_pairs(
        "SELECT a.name, t.name FROM artifact_tags l JOIN artifacts a ON a.id = l.artifact_id \
         JOIN tags t ON t.id = l.tag_id ORDER BY a.name, t.name",
    ) {
        expected_tags.entry(a).or_default().push(t);
    }
    for item in catalog
        .list_artifacts(&ArtifactQuery::new().limit(500))
        .unwrap()
        .items
    {
        let want = expected_tags.remove(item.key.name()).unwrap_or_default();
        prop_assert_eq!(&item.tags, &want, "tags of {}", item.key);
        for c in &item.collections {
            prop_assert_eq!(Some(&c.artifact_count), members.get(&c.name));
        }
    }
    prop_assert!(
        expected_tags.is_empty(),
        "tagged artifacts missing from the listing"
    );
    let drift = catalog.verify_counts().unwrap();
    prop_assert!(drift.is_empty(), "drift: {:?}", drift);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn trigger_and_cached_counts_match_a_group_by_oracle(ops in prop::collection::vec(op(), 1..40)) {
        // A long TTL: only invalidation can keep the cached counts right.
        let all = catalogs("counts proptest", PgModes::Both, || {
            Catalog::builder().cache_ttl(Duration::from_secs(3600))
        });
        for t in &all {
            let catalog = &t.catalog;
            for a in 0..ARTIFACTS {
                catalog.put_artifact(&artifact("skill", &format!("a{a}"))).unwrap();
            }
            for c in 0..COLLECTIONS {
                catalog.create_collection(&coll(c), "").unwrap();
            }
            check(catalog, &t.oracle).map_err(|e| in_backend(t.name, e))?;
            for op in &ops {
                apply(catalog, op);
                check(catalog, &t.oracle).map_err(|e| in_backend(t.name, e))?;
            }
            let hits = catalog.stats().cache_hits;
            prop_assert!(hits > 0, "{}: the cache was never hit; the test would not notice stale fills", t.name);
        }
    }
}

fn in_backend(backend: &str, e: TestCaseError) -> TestCaseError {
    match e {
        TestCaseError::Fail(why) => TestCaseError::fail(format!("{backend}: {why}")),
        other => other,
    }
}

#[test]
fn recount_repairs_drift_made_behind_the_catalogues_back() {
    for t in catalogs("recount", PgModes::Triggers, Catalog::builder) {
        recount_repairs(&t.catalog, &t.oracle, t.name);
    }
}

fn recount_repairs(catalog: &Catalog, raw: &Oracle, backend: &str) {
    catalog.put_artifact(&artifact("skill", "a")).unwrap();
    catalog.create_collection("docs", "").unwrap();
    catalog.create_group("docs", "g", 0).unwrap();
    catalog
        .add_to_group("docs", "g", &[art_named("a")])
        .unwrap();
    assert!(catalog.verify_counts().unwrap().is_empty());

    raw.execute(
        "UPDATE collections SET artifact_count = 7, group_count = 0; \
         UPDATE collection_groups SET artifact_count = 3;",
    );
    catalog.add_tags(&art_named("a"), &["x", "y"]).unwrap();
    raw.execute("DELETE FROM artifact_tags WHERE tag_id = (SELECT id FROM tags WHERE name = 'x')");
    let drift = catalog.verify_counts().unwrap();
    let found: Vec<_> = drift
        .iter()
        .map(|d| (d.what.as_str(), d.stored.as_str(), d.actual.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            ("collection docs artifact_count", "7", "1"),
            ("collection docs group_count", "0", "1"),
            ("group docs/g artifact_count", "3", "1"),
            ("artifact skill:a tag_names", "x, y", "y"),
        ],
        "{backend}"
    );
    catalog.recount().unwrap();
    assert!(catalog.verify_counts().unwrap().is_empty());
    let detail = catalog.collection("docs").unwrap();
    assert_eq!(detail.collection.artifact_count, 1);
    let page = catalog.list_artifacts(&ArtifactQuery::new()).unwrap();
    assert_eq!(page.items[0].tags, ["y"]);
}

fn art_named(name: &str) -> stencil_store::ArtifactKey {
    key("skill", name)
}
