//! Keyset pagination: complete, ordered, stable under inserts, and page 1,000
//! costs what page 1 costs.

mod common;

use std::collections::HashSet;

use common::{PgModes, artifact, catalogs, cost, seed};
use stencil_store::{ArtifactKey, ArtifactQuery, ArtifactSort, Catalog};

fn walk(catalog: &Catalog, query: &ArtifactQuery) -> Vec<ArtifactKey> {
    let mut out = Vec::new();
    let mut q = query.clone();
    loop {
        let page = catalog.list_artifacts(&q).unwrap();
        assert!(page.items.len() <= q.limit as usize);
        out.extend(page.items.into_iter().map(|a| a.key));
        match page.next_cursor {
            Some(c) => q = query.clone().after(c),
            None => return out,
        }
    }
}

#[test]
fn walking_all_pages_yields_every_match_once_in_order() {
    for t in catalogs(
        "walking_all_pages_yields_every_match_once_in_order",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        walking_all_pages_yields_every_match_once_in_order_on(&t.catalog);
    }
}

fn walking_all_pages_yields_every_match_once_in_order_on(catalog: &Catalog) {
    // Equal names in different types: ties are broken by insertion order.
    let mut expected = Vec::new();
    let mut items = Vec::new();
    for i in 0..45 {
        for kind in ["skill", "agent"] {
            let name = format!("n{:02}", (i * 7) % 45);
            let a = artifact(kind, &name);
            expected.push((name, items.len(), a.key.clone()));
            items.push(a);
        }
    }
    catalog.import(items).unwrap();
    expected.sort();
    let expected: Vec<ArtifactKey> = expected.into_iter().map(|(_, _, k)| k).collect();
    for limit in [1, 4, 7, 90, 500] {
        assert_eq!(
            walk(catalog, &ArtifactQuery::new().limit(limit)),
            expected,
            "limit {limit}"
        );
    }
    let skills: Vec<ArtifactKey> = expected
        .iter()
        .filter(|k| k.kind() == "skill")
        .cloned()
        .collect();
    assert_eq!(
        walk(catalog, &ArtifactQuery::new().kind("skill").limit(6)),
        skills
    );
}

#[test]
fn recently_updated_order_walks_newest_first() {
    for t in catalogs(
        "recently_updated_order_walks_newest_first",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        recently_updated_order_walks_newest_first_on(&t.catalog);
    }
}

fn recently_updated_order_walks_newest_first_on(catalog: &Catalog) {
    for i in 0..30 {
        catalog
            .put_artifact(&artifact("skill", &format!("s{i:02}")))
            .unwrap();
    }
    // Same-millisecond updates tie on time and fall back to id, descending.
    let keys = walk(
        catalog,
        &ArtifactQuery::new()
            .sort(ArtifactSort::RecentlyUpdated)
            .limit(4),
    );
    assert_eq!(keys.len(), 30);
    let page = catalog
        .list_artifacts(
            &ArtifactQuery::new()
                .sort(ArtifactSort::RecentlyUpdated)
                .limit(500),
        )
        .unwrap();
    let stamps: Vec<(i64, &str)> = page
        .items
        .iter()
        .map(|a| (a.updated_ms, a.key.name()))
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0].0 >= w[1].0),
        "not newest first: {stamps:?}"
    );
    let all: Vec<ArtifactKey> = page.items.into_iter().map(|a| a.key).collect();
    assert_eq!(keys, all);
}

#[test]
fn inserts_between_pages_neither_repeat_nor_skip_existing_rows() {
    for t in catalogs(
        "inserts_between_pages_neither_repeat_nor_skip_existing_rows",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        inserts_between_pages_neither_repeat_nor_skip_existing_rows_on(&t.catalog);
    }
}

fn inserts_between_pages_neither_repeat_nor_skip_existing_rows_on(catalog: &Catalog) {
    let originals: Vec<ArtifactKey> = (0..40)
        .map(|i| {
            let a = artifact("skill", &format!("m{i:03}"));
            catalog.put_artifact(&a).unwrap();
            a.key
        })
        .collect();
    let query = ArtifactQuery::new().limit(5);
    let mut q = query.clone();
    let mut seen = Vec::new();
    let mut round = 0;
    loop {
        let page = catalog.list_artifacts(&q).unwrap();
        seen.extend(page.items.iter().map(|a| a.key.clone()));
        // One row sorting before the position, one after it.
        catalog
            .put_artifact(&artifact("skill", &format!("a-new{round:03}")))
            .unwrap();
        catalog
            .put_artifact(&artifact("skill", &format!("z-new{round:03}")))
            .unwrap();
        round += 1;
        match page.next_cursor {
            Some(c) => q = query.clone().after(c),
            None => break,
        }
    }
    let unique: HashSet<&ArtifactKey> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was returned twice");
    let names: Vec<&str> = seen.iter().map(|k| k.name()).collect();
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "out of order: {names:?}"
    );
    for k in &originals {
        assert!(unique.contains(k), "{k} was skipped");
    }
    assert!(
        names.iter().all(|n| !n.starts_with("a-new")),
        "a row before the cursor appeared"
    );
    assert!(
        names.iter().any(|n| n.starts_with("z-new")),
        "rows after the cursor should appear"
    );
}

#[test]
fn page_one_thousand_costs_what_page_one_costs() {
    for t in catalogs(
        "page_one_thousand_costs_what_page_one_costs",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        page_one_thousand_costs_what_page_one_costs_on(&t.catalog);
    }
}

fn page_one_thousand_costs_what_page_one_costs_on(catalog: &Catalog) {
    seed(catalog, 1010, 3);
    let query = ArtifactQuery::new().limit(1);
    let (first, first_cost) = cost(catalog, || catalog.list_artifacts(&query).unwrap());
    let mut cursor = first.next_cursor.unwrap();
    for _ in 2..1000 {
        cursor = catalog
            .list_artifacts(&query.clone().after(cursor))
            .unwrap()
            .next_cursor
            .unwrap();
    }
    let (page, cost_1000) = cost(catalog, || {
        catalog
            .list_artifacts(&query.clone().after(cursor))
            .unwrap()
    });
    assert_eq!(page.items[0].key.name(), "a00999");
    assert_eq!(cost_1000, first_cost);
}

#[test]
fn bad_limits_and_cursors_are_errors_naming_the_value() {
    for t in catalogs(
        "bad_limits_and_cursors_are_errors_naming_the_value",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        bad_limits_and_cursors_are_errors_naming_the_value_on(&t.catalog);
    }
}

fn bad_limits_and_cursors_are_errors_naming_the_value_on(catalog: &Catalog) {
    for limit in [0, 501] {
        let err = catalog
            .list_artifacts(&ArtifactQuery::new().limit(limit))
            .unwrap_err();
        assert!(err.to_string().contains(&format!("`{limit}`")), "{err}");
    }
    let err = catalog
        .list_artifacts(&ArtifactQuery::new().after("not-a-cursor"))
        .unwrap_err();
    assert!(err.to_string().contains("cursor"), "{err}");
    catalog.put_artifact(&artifact("skill", "a")).unwrap();
    catalog.put_artifact(&artifact("skill", "b")).unwrap();
    let page = catalog
        .list_artifacts(&ArtifactQuery::new().limit(1))
        .unwrap();
    let err = catalog
        .list_artifacts(
            &ArtifactQuery::new()
                .sort(ArtifactSort::RecentlyUpdated)
                .after(page.next_cursor.unwrap()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("another sort order"), "{err}");
    assert!(catalog.list_collections(0, None).is_err());
    assert!(catalog.list_collections(10, Some("zz")).is_err());
}
