//! Budget: importing a tree holds memory bounded by a fixed budget, not by
//! the template. A counting global allocator (`peak_alloc`; this test
//! binary's only test, so nothing else allocates meanwhile) records the peak of the bytes
//! Rust holds during `import_tree`; a tree of 12 files × 2 MiB and one of
//! 24 files × 2 MiB must both stay under [`BUDGET`], and the larger may
//! not cost more than [`GROWTH`] over the smaller. (SQLite's own page cache
//! is allocated by SQLite, outside this count; it is capped by the
//! catalogue's `cache_size`.) Before files were stored from disk the peak
//! was the whole template (24 and 48 MiB here).

use std::path::Path;

use peak_alloc::PeakAlloc;
use stencil::import::{ImportOptions, import_tree};
use stencil::store::Catalog;

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const MIB: usize = 1 << 20;

/// The peak held during an import, above what was held before it (measured:
/// 141 KiB and 149 KiB; the read buffers, one file's head, the statements).
const BUDGET: usize = MIB;

/// What twice the template may add to the peak (the scanned tree's paths
/// and hashes grow with the file count; measured: 8 KiB).
const GROWTH: usize = 64 << 10;

/// One skill: a `SKILL.md` and `files` distinct files of 2 MiB.
fn generate(root: &Path, files: usize) {
    let dir = root.join(".claude/skills/big");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("SKILL.md"), "---\ndescription: big\n---\n").unwrap();
    let line = b"lorem ipsum {{PROJECT_NAME}} dolor sit amet\n";
    let body: Vec<u8> = line.iter().copied().cycle().take(2 * MIB).collect();
    for f in 0..files {
        let mut own = body.clone();
        own.extend_from_slice(format!("{f}\n").as_bytes());
        std::fs::write(dir.join(format!("f{f:03}.md")), own).unwrap();
    }
}

/// Imports a fresh tree of `files` files into a fresh catalogue; the peak
/// bytes held above the start.
fn peak_of_import(files: usize) -> usize {
    let dir = tempfile::tempdir().unwrap();
    generate(&dir.path().join("tree"), files);
    let catalog = Catalog::open(dir.path().join("catalog.db")).unwrap();
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let report = import_tree(&catalog, dir.path().join("tree"), &ImportOptions::new()).unwrap();
    let peak = ALLOCATOR.peak_usage() - before;
    assert_eq!(report.files, files + 1);
    assert!(report.bytes > (files * 2 * MIB) as u64);
    peak
}

#[test]
fn import_memory_is_bounded_by_a_fixed_budget_not_by_the_template() {
    let small = peak_of_import(12);
    let large = peak_of_import(24);
    eprintln!("peak held: {small} B for 24 MiB, {large} B for 48 MiB");
    assert!(small < BUDGET, "24 MiB template: peak {small} B");
    assert!(large < BUDGET, "48 MiB template: peak {large} B");
    assert!(
        large < small + GROWTH,
        "twice the template raised the peak from {small} to {large} B"
    );
}
