//! Importing a real-shaped tree (~400 files, ~10 MB, ~50 binaries): first
//! import into a fresh catalogue file and re-import of the unchanged tree,
//! beside reading every file (the floor).

use std::path::Path;
use std::time::{Duration, Instant};

use stencil::import::{ImportOptions, import_tree};
use stencil::store::Catalog;
use stencil_benches::import_tree::{TreeSpec, generate};
use stencil_benches::quick::{Figure, Row};

fn read_all(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            total += read_all(&path);
        } else if kind.is_file() {
            total += std::fs::read(&path).expect("read").len() as u64;
        }
    }
    total
}

pub fn rows(quick: bool, rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let tree = dir.path().join("tree");
    let stats = generate(&tree, TreeSpec::default()).expect("generate the tree");
    let rounds = if quick { 3 } else { 7 };
    let options = ImportOptions::new();
    let (mut floor, mut first, mut again) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let s = Instant::now();
        std::hint::black_box(read_all(&tree));
        floor.push(s.elapsed());
        let catalog = Catalog::open(dir.path().join(format!("c{round}.db"))).expect("open");
        let s = Instant::now();
        import_tree(&catalog, &tree, &options).expect("imports");
        first.push(s.elapsed());
        let s = Instant::now();
        let report = import_tree(&catalog, &tree, &options).expect("re-imports");
        again.push(s.elapsed());
        assert!(report.wrote_nothing());
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (floor, first, again) = (med(&mut floor), med(&mut first), med(&mut again));
    let what = format!(
        "{} files, {:.1} MiB, {} binaries",
        stats.files,
        stats.bytes as f64 / (1 << 20) as f64,
        stats.binaries
    );
    for (label, t) in [
        ("first import", first),
        ("re-import of the unchanged tree (writes nothing)", again),
    ] {
        rows.push(
            Row::new(format!("import a tree ({what}): {label}"), Figure::p50(t))
                .against("reading every file (floor)", Figure::time(floor))
                .target(
                    "well under a second (≤ 0.5 s)",
                    t <= Duration::from_millis(500),
                ),
        );
    }
}
