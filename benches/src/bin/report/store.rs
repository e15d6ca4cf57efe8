//! The catalogue: listing page, collections page, template load, facets,
//! cache, import — at 1k and 100k artifacts, so the growth of cost with data
//! size is visible.

use std::hint::black_box;
use std::time::{Duration, Instant};

use stencil::store::{ArtifactQuery, Catalog, NewArtifact};
use stencil_benches::quick::{Figure, Row, fmt_duration, median};
use stencil_benches::store_data::{
    self, PAGE, TEMPLATE, collection, collections_n_plus_one, group_by, n_plus_one, template_naive,
};

fn row(measurement: String, stencil: Duration, baseline: (&str, Duration)) -> Row {
    Row::new(measurement, Figure::p50(stencil)).against(baseline.0, Figure::time(baseline.1))
}

pub fn rows(budget: Duration, quick: bool, rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pages = Vec::new();
    for (artifacts, collections) in [(1_000usize, 10usize), (100_000, 1_000)] {
        let path = dir.path().join(format!("catalog-{artifacts}.db"));
        let started = Instant::now();
        let catalog = store_data::build(&path, artifacts, collections);
        eprintln!(
            "  built {artifacts} artifacts in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let raw = store_data::raw(&path);
        let size = if artifacts >= 100_000 { "100k" } else { "1k" };

        let first = ArtifactQuery::new().limit(PAGE as u32);
        let t = median(budget, || {
            black_box(catalog.list_artifacts(&first).expect("page"));
        });
        let t_n1 = median(budget, || {
            black_box(n_plus_one(&raw, 0));
        });
        let t_gb = median(budget, || {
            black_box(group_by(&raw, 0));
        });
        pages.push(t);
        rows.push(
            row(
                format!("listing page of 50 with tags and collection counts, {size} artifacts"),
                t,
                ("original N+1 (1 + 1 + one COUNT per membership)", t_n1),
            )
            .target(
                "p50 ≤ 100 µs and ≥ 10× N+1",
                t <= Duration::from_micros(100) && t_n1.as_secs_f64() / t.as_secs_f64() >= 10.0,
            ),
        );
        rows.push(row(
            format!("listing page of 50, {size} artifacts — vs one GROUP BY"),
            t,
            ("page + memberships + one GROUP BY", t_gb),
        ));

        // Deep page: keyset cursor vs OFFSET.
        let mut deep = ArtifactQuery::new().limit(500);
        let walk = (artifacts / 2).min(PAGE * 999) / 500;
        for _ in 0..walk {
            let page = catalog.list_artifacts(&deep).expect("walk");
            match page.next_cursor {
                Some(c) => deep = deep.clone().after(c),
                None => break,
            }
        }
        let deep = deep.limit(PAGE as u32);
        let offset = (walk * 500) as i64;
        let t_deep = median(budget, || {
            black_box(catalog.list_artifacts(&deep).expect("page"));
        });
        let t_deep_n1 = median(budget, || {
            black_box(n_plus_one(&raw, offset));
        });
        rows.push(row(
            format!("listing page at row {offset} (keyset cursor), {size} artifacts"),
            t_deep,
            ("N+1 with OFFSET", t_deep_n1),
        ));

        let t_coll = median(budget, || {
            black_box(
                catalog
                    .list_collections(PAGE as u32, None)
                    .expect("collections"),
            );
        });
        let t_coll_n1 = median(budget, || {
            black_box(collections_n_plus_one(&raw));
        });
        rows.push(row(
            format!("collections page of 50 with counts, {size} artifacts"),
            t_coll,
            ("page + 2 COUNTs per row", t_coll_n1),
        ));

        let t_tpl = median(budget, || {
            black_box(catalog.load_template(TEMPLATE).expect("template"));
        });
        let t_tpl_naive = median(budget, || {
            black_box(template_naive(&raw));
        });
        rows.push(row(
            format!(
                "template load, 10 entities with file contents (hash-verified), {size} artifacts"
            ),
            t_tpl,
            ("per-entity and per-file queries (unverified)", t_tpl_naive),
        ));

        let uncached = Catalog::builder()
            .cache_ttl(Duration::ZERO)
            .open(&path)
            .expect("uncached catalogue");
        let all = ArtifactQuery::new();
        let facet_budget = if quick { budget / 2 } else { budget };
        let t_facets_cold = median(facet_budget, || {
            black_box(uncached.facets(&all).expect("facets"));
        });
        let t_facets = median(budget, || {
            black_box(catalog.facets(&all).expect("facets"));
        });
        rows.push(row(
            format!("facets (counts by type and tag) over everything, cached, {size} artifacts"),
            t_facets,
            ("the same, uncached (≤ 2 statements)", t_facets_cold),
        ));

        if artifacts >= 100_000 {
            let name = collection(17);
            catalog.collection_artifact_count(&name).expect("warm");
            let t_hit = median(budget, || {
                black_box(
                    catalog
                        .collection_artifact_count(black_box(&name))
                        .expect("hit"),
                );
            });
            let t_miss = median(budget, || {
                black_box(
                    uncached
                        .collection_artifact_count(black_box(&name))
                        .expect("miss"),
                );
            });
            rows.push(
                row(
                    "count cache hit (collection_artifact_count)".into(),
                    t_hit,
                    ("uncached read", t_miss),
                )
                .target("≤ 100 ns", t_hit <= Duration::from_nanos(100)),
            );
        }
    }
    if let [small, large] = pages[..] {
        let mut at_100k = Figure::time(large);
        at_100k.text = format!("{} → {}", fmt_duration(small), fmt_duration(large));
        rows.push(
            Row::new("listing page growth, 1k → 100k artifacts", at_100k)
                .against("1k page", Figure::time(small))
                .target(
                    "flat in catalogue size: within 2×",
                    large.as_secs_f64() <= 2.0 * small.as_secs_f64(),
                ),
        );
    }

    // Import: one transaction vs one put per artifact.
    const BATCH: usize = 10_000;
    let rounds = if quick { 1 } else { 3 };
    let mut bulk = Vec::new();
    let mut single = Vec::new();
    for round in 0..rounds {
        let items: Vec<NewArtifact> = (0..BATCH).map(|i| store_data::artifact(i, BATCH)).collect();
        let catalog = Catalog::open(dir.path().join(format!("bulk-{round}.db"))).expect("open");
        let t = Instant::now();
        catalog.import(items.clone()).expect("import");
        bulk.push(t.elapsed());
        let catalog = Catalog::open(dir.path().join(format!("single-{round}.db"))).expect("open");
        let t = Instant::now();
        for item in items.iter().take(BATCH / 10) {
            catalog.put_artifact(item).expect("put");
        }
        single.push(t.elapsed() * 10);
    }
    bulk.sort();
    single.sort();
    let (t_bulk, t_single) = (bulk[bulk.len() / 2], single[single.len() / 2]);
    let per_s = BATCH as f64 / t_bulk.as_secs_f64();
    rows.push(
        Row::new(
            "bulk import of 10,000 artifacts into a catalogue file (one transaction)",
            Figure::time(t_bulk).note(format!("{per_s:.0} artifacts/s")),
        )
        .against(
            "one put_artifact per artifact (extrapolated from 1,000)",
            Figure::time(t_single),
        )
        .target("≥ 50,000 artifacts/s", per_s >= 50_000.0),
    );
}
