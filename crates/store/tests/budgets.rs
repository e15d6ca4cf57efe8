//! Statement budgets: the same read at page sizes 1, 50 and 500 runs the same
//! number of statements, within the budget stated in the crate docs — on
//! every backend: each test body runs against SQLite and, when
//! a server answers (`common::pg_target`), PostgreSQL (in both count modes where
//! counts are read).

mod common;

use std::time::Duration;

use common::{PgModes, TestCatalog, catalogs, cost, seed};
use stencil_store::{ArtifactQuery, ArtifactSort, Catalog, TemplateSpec, VariableDecl};

fn uncached(test: &str, modes: PgModes) -> Vec<TestCatalog> {
    // TTL 0: every count read queries, so budgets are measured on misses.
    catalogs(test, modes, || Catalog::builder().cache_ttl(Duration::ZERO))
}

fn assert_budget(what: &str, costs: &[u64], budget: u64) {
    assert!(
        costs.iter().all(|&c| c == costs[0]),
        "{what}: statements vary with size: {costs:?}"
    );
    assert!(
        costs[0] <= budget,
        "{what}: {} statements, budget {budget}",
        costs[0]
    );
    assert!(
        costs[0] > 0,
        "{what}: no statement was counted; the counter is broken"
    );
}

#[test]
fn artifact_pages_cost_the_same_at_every_size_within_three_statements() {
    for t in uncached("artifact_pages", PgModes::Both) {
        artifact_pages(&t.catalog, t.name);
    }
}

fn artifact_pages(catalog: &Catalog, backend: &str) {
    seed(catalog, 1200, 8);
    let queries = [
        ArtifactQuery::new(),
        ArtifactQuery::new().sort(ArtifactSort::RecentlyUpdated),
        ArtifactQuery::new().kind("skill").kind("agent"),
        ArtifactQuery::new().tag("common").tag("t1"),
        ArtifactQuery::new().collection("c003"),
        ArtifactQuery::new().search("a0"),
        ArtifactQuery::new()
            .kind("skill")
            .kind("command")
            .tag("common")
            .collection("c001")
            .search("a"),
    ];
    for q in queries {
        let mut costs = Vec::new();
        for limit in [1, 50, 500] {
            let (page, n) = cost(catalog, || {
                catalog.list_artifacts(&q.clone().limit(limit)).unwrap()
            });
            assert!(
                !page.items.is_empty(),
                "{q:?} matched nothing; the test data is wrong"
            );
            assert!(
                page.items
                    .iter()
                    .all(|a| !a.tags.is_empty() && a.collections.len() == 2)
            );
            costs.push(n);
            // The second page (keyset position) costs the same too.
            if let Some(cursor) = page.next_cursor {
                let (_, n) = cost(catalog, || {
                    catalog
                        .list_artifacts(&q.clone().limit(limit).after(cursor))
                        .unwrap()
                });
                costs.push(n);
            }
        }
        assert_budget(&format!("{backend}: list_artifacts {q:?}"), &costs, 3);
    }
}

#[test]
fn collection_pages_and_details_cost_the_same_at_every_size() {
    for t in uncached("collection_pages", PgModes::Both) {
        collection_pages(&t.catalog, t.name);
    }
}

fn collection_pages(catalog: &Catalog, backend: &str) {
    seed(catalog, 50, 600);
    let mut costs = Vec::new();
    for limit in [1, 50, 500] {
        let (page, n) = cost(catalog, || catalog.list_collections(limit, None).unwrap());
        assert_eq!(page.items.len(), limit as usize);
        costs.push(n);
        let cursor = page
            .next_cursor
            .expect("600 collections fill every page size");
        let (_, n) = cost(catalog, || {
            catalog.list_collections(limit, Some(&cursor)).unwrap()
        });
        costs.push(n);
    }
    assert_budget(&format!("{backend}: list_collections"), &costs, 2);

    let mut costs = Vec::new();
    for (collection, groups) in [("c000", 0), ("c001", 1), ("c002", 50)] {
        for g in 0..groups {
            catalog
                .create_group(collection, &format!("g{g}"), g)
                .unwrap();
        }
        let (detail, n) = cost(catalog, || catalog.collection(collection).unwrap());
        assert_eq!(detail.groups.len(), groups as usize);
        assert_eq!(detail.collection.group_count, groups as u64);
        costs.push(n);
    }
    assert_budget(&format!("{backend}: collection detail"), &costs, 2);
}

#[test]
fn loading_a_template_costs_the_same_for_1_50_and_500_entities() {
    for t in uncached("load_template", PgModes::Triggers) {
        load_template(&t.catalog, t.name);
    }
}

fn load_template(catalog: &Catalog, backend: &str) {
    let keys = seed(catalog, 500, 0);
    let mut costs = Vec::new();
    for size in [1usize, 50, 500] {
        let mut spec = TemplateSpec::new(format!("t{size}"))
            .variable(VariableDecl::required("PROJECT"))
            .variable(VariableDecl::optional("DATE", "today"));
        for k in keys.iter().take(size) {
            spec = spec.entity(k.clone(), true);
        }
        catalog.create_template(&spec).unwrap();
        let (t, n) = cost(catalog, || {
            catalog.load_template(&format!("t{size}")).unwrap()
        });
        assert_eq!(t.entities.len(), size);
        assert!(t.entities.iter().all(|e| e.files.len() == 1));
        assert_eq!(t.variables.len(), 2);
        costs.push(n);
    }
    assert_budget(&format!("{backend}: load_template"), &costs, 3);

    // The outline: the same files without their bytes, in the same budget,
    // and each file's bytes in one statement.
    let full = catalog.load_template("t50").unwrap();
    let (outline, n) = cost(catalog, || catalog.load_template_outline("t50").unwrap());
    assert_budget(&format!("{backend}: load_template_outline"), &[n], 3);
    assert_eq!(outline.entities.len(), full.entities.len());
    for (o, f) in outline.entities.iter().zip(&full.entities) {
        assert_eq!(o.artifact, f.artifact);
        for (of, ff) in o.files.iter().zip(&f.files) {
            assert!(of.content.is_empty() && !ff.content.is_empty());
            assert_eq!((&of.path, &of.hash), (&ff.path, &ff.hash));
            assert_eq!((of.executable, of.verbatim), (ff.executable, ff.verbatim));
            let owner = o.artifact.to_string();
            let (bytes, n) = cost(catalog, || {
                catalog.file_content(&of.hash, &owner, &of.path).unwrap()
            });
            assert_eq!(bytes, ff.content);
            assert_budget(&format!("{backend}: file_content"), &[n], 1);
        }
    }
    let missing = "0".repeat(64);
    assert!(matches!(
        catalog.file_content(&missing, "skill:x", "SKILL.md"),
        Err(stencil_store::Error::Corrupt { .. })
    ));
    assert!(matches!(
        catalog.file_content("not hex", "skill:x", "SKILL.md"),
        Err(stencil_store::Error::Corrupt { .. })
    ));

    // Many files in one transaction: the same bytes, in order, up to the
    // budget (at least one file); a missing blob among them names its path.
    let files: Vec<(&str, &str)> = outline
        .entities
        .iter()
        .flat_map(|e| &e.files)
        .map(|f| (f.hash.as_str(), f.path.as_str()))
        .collect();
    let contents: Vec<&[u8]> = full
        .entities
        .iter()
        .flat_map(|e| &e.files)
        .map(|f| f.content.as_slice())
        .collect();
    let all = catalog
        .file_contents("skill:x", &files, usize::MAX)
        .unwrap();
    assert_eq!(all, contents, "{backend}: file_contents");
    let one = catalog.file_contents("skill:x", &files[3..], 1).unwrap();
    assert_eq!(one, &contents[3..4], "{backend}: file_contents, budget 1");
    let some = catalog
        .file_contents("skill:x", &files, contents[0].len() + 1)
        .unwrap();
    assert_eq!(
        some,
        &contents[..2],
        "{backend}: file_contents, budget 2 files"
    );
    let mut broken = files.clone();
    broken[2] = (missing.as_str(), "gone.md");
    match catalog.file_contents("skill:x", &broken, usize::MAX) {
        Err(stencil_store::Error::Corrupt { path, .. }) => assert_eq!(path, "gone.md"),
        other => panic!("{backend}: a missing blob read as {other:?}"),
    }

    // A template following a collection of 1, 50 or 500 members: the same.
    let mut costs = Vec::new();
    for size in [1usize, 50, 500] {
        let name = format!("f{size}");
        catalog.create_collection(&name, "").unwrap();
        catalog.add_to_collection(&name, &keys[..size]).unwrap();
        catalog
            .create_template(&TemplateSpec::new(&name).follows(&name))
            .unwrap();
        let (t, n) = cost(catalog, || catalog.load_template(&name).unwrap());
        assert_eq!(t.entities.len(), size);
        assert!(t.entities.iter().all(|e| e.files.len() == 1));
        costs.push(n);
    }
    assert_budget(&format!("{backend}: load_template (following)"), &costs, 3);
}

#[test]
fn facets_cost_at_most_two_statements_and_none_when_cached() {
    for t in uncached("facets", PgModes::Triggers) {
        facets_uncached(&t.catalog, t.name);
    }
    let cached = catalogs("facets (cached)", PgModes::Both, || {
        Catalog::builder().cache_ttl(Duration::from_secs(600))
    });
    for t in cached {
        facets_cached(&t.catalog, t.name);
    }
}

fn facets_uncached(catalog: &Catalog, backend: &str) {
    seed(catalog, 300, 4);
    let mut costs = Vec::new();
    for q in [
        ArtifactQuery::new(),
        ArtifactQuery::new().kind("skill"),
        ArtifactQuery::new()
            .tag("common")
            .collection("c002")
            .search("a00"),
    ] {
        let (f, n) = cost(catalog, || catalog.facets(&q).unwrap());
        assert!(f.total > 0);
        costs.push(n);
    }
    assert_budget(&format!("{backend}: facets"), &costs, 2);
}

fn facets_cached(cached: &Catalog, backend: &str) {
    seed(cached, 30, 2);
    let q = ArtifactQuery::new().kind("agent");
    let (first, miss) = cost(cached, || cached.facets(&q).unwrap());
    let (second, hit) = cost(cached, || cached.facets(&q).unwrap());
    assert_eq!(first, second);
    assert_eq!((miss, hit), (2, 0), "{backend}");
    let (_, hit) = cost(cached, || cached.collection_artifact_count("c001").unwrap());
    assert_eq!(hit, 1, "{backend}: first count is a miss");
    let (_, hit) = cost(cached, || cached.collection_artifact_count("c001").unwrap());
    assert_eq!(hit, 0, "{backend}: second count is a hit");
}

#[test]
fn the_statement_counter_counts_what_runs() {
    for t in uncached("statement_counter", PgModes::Triggers) {
        statement_counter(&t.catalog, t.name);
    }
}

fn statement_counter(catalog: &Catalog, backend: &str) {
    let (_, n) = cost(catalog, || catalog.list_templates().unwrap());
    assert_eq!(n, 1, "{backend}");
    let (_, n) = cost(catalog, || catalog.create_collection("x", "").unwrap());
    assert_eq!(
        n, 1,
        "{backend}: one INSERT (BEGIN/COMMIT are counted apart)"
    );
    let before = catalog.stats().transactions;
    catalog.create_collection("y", "").unwrap();
    assert_eq!(
        catalog.stats().transactions - before,
        2,
        "{backend}: BEGIN and COMMIT"
    );
}
