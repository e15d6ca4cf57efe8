//! Large files of an imported tree are hashed while the scan reads them and
//! stored from disk (`NewFile::sourced`): stored exactly, read again only
//! when their blob is new, and a file that changed or vanished between
//! scan and store fails the import with nothing stored.

use std::path::Path;

use stencil::import::{ImportError, ImportOptions, import_scanned, import_tree, scan_tree};
use stencil::store::{Artifact, ArtifactKey, Catalog, Error as StoreError};

/// Larger than what the scan reads whole (1 MiB).
const BIG: usize = (1 << 20) + 12_345;

fn body(seed: u8) -> Vec<u8> {
    let mut out: Vec<u8> = b"line {{PROJECT_NAME}} of text\n"
        .iter()
        .copied()
        .cycle()
        .take(BIG)
        .collect();
    out[BIG - 1] = seed;
    out
}

/// `.claude/skills/big/` with a `SKILL.md` (front matter) and two big files.
fn tree(dir: &Path) -> std::path::PathBuf {
    let skill = dir.join(".claude/skills/big");
    std::fs::create_dir_all(&skill).unwrap();
    let mut main = b"---\ndescription: Big one\n---\n".to_vec();
    main.extend(body(b'm'));
    std::fs::write(skill.join("SKILL.md"), main).unwrap();
    std::fs::write(skill.join("a.md"), body(b'a')).unwrap();
    let mut binary = body(b'b');
    binary[10] = 0;
    std::fs::write(skill.join("b.bin"), binary).unwrap();
    skill
}

fn key() -> ArtifactKey {
    ArtifactKey::parse("skill:big").unwrap()
}

#[test]
fn large_files_are_stored_from_disk_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let skill = tree(dir.path());
    let scanned = scan_tree(dir.path(), &ImportOptions::new()).unwrap();
    let files = &scanned.artifacts[0].files;
    assert!(files.iter().all(|f| f.is_sourced() && f.content.is_empty()));
    assert_eq!(scanned.bytes, files.iter().map(|f| f.size()).sum::<u64>());

    let catalog = Catalog::open(dir.path().join("c.db")).unwrap();
    let report = import_scanned(&catalog, scanned, &ImportOptions::new()).unwrap();
    assert_eq!(report.created, [key()]);
    // The binary sniff and the front matter see the head of a large file.
    assert_eq!(report.verbatim, [".claude/skills/big/b.bin"]);
    let stored = catalog.artifact(&key()).unwrap();
    assert_eq!(stored.description, "Big one");
    assert_stored_as_on_disk(&stored, &skill);
    let again = import_tree(&catalog, dir.path(), &ImportOptions::new()).unwrap();
    assert!(again.wrote_nothing());
}

/// Every stored file of `stored` holds the bytes of its namesake in `skill`.
fn assert_stored_as_on_disk(stored: &Artifact, skill: &Path) {
    for f in &stored.files {
        let name = f.path.rsplit('/').next().unwrap();
        assert_eq!(
            f.content,
            std::fs::read(skill.join(name)).unwrap(),
            "{name}"
        );
    }
}

fn assert_nothing_stored(catalog: &Catalog) {
    assert!(matches!(
        catalog.artifact(&key()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        catalog.artifact(&ArtifactKey::parse("rule_file:small").unwrap()),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn a_large_file_changed_between_scan_and_store_is_an_error_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let skill = tree(dir.path());
    let rules = dir.path().join(".claude/rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("small.md"), "small\n").unwrap();
    let catalog = Catalog::open(dir.path().join("c.db")).unwrap();

    let scanned = scan_tree(dir.path(), &ImportOptions::new()).unwrap();
    // Same size, one byte different.
    std::fs::write(skill.join("a.md"), body(b'z')).unwrap();
    match import_scanned(&catalog, scanned, &ImportOptions::new()) {
        Err(ImportError::Store { source, .. }) => match *source {
            StoreError::SourceChanged {
                artifact,
                path,
                source_name,
            } => {
                assert_eq!(artifact, "skill:big");
                assert_eq!(path, ".claude/skills/big/a.md");
                assert!(source_name.ends_with("a.md"), "{source_name}");
            }
            other => panic!("expected SourceChanged, got {other:?}"),
        },
        other => panic!("expected a store error, got {other:?}"),
    }
    assert_nothing_stored(&catalog);

    // Vanished: a read error naming the file, nothing stored.
    let scanned = scan_tree(dir.path(), &ImportOptions::new()).unwrap();
    std::fs::remove_file(skill.join("b.bin")).unwrap();
    match import_scanned(&catalog, scanned, &ImportOptions::new()) {
        Err(ImportError::Store { source, .. }) => {
            assert!(
                matches!(*source, StoreError::SourceRead { ref path, .. } if path.ends_with("b.bin")),
                "{source:?}"
            );
        }
        other => panic!("expected a store error, got {other:?}"),
    }
    assert_nothing_stored(&catalog);
}

#[test]
fn small_files_past_the_held_budget_are_stored_from_disk_too() {
    // 20 files of 1 MiB: each small enough to hold, but the tree holds
    // 16 MiB at most; the rest are hashed and stored from disk.
    let dir = tempfile::tempdir().unwrap();
    let skill = dir.path().join(".claude/skills/many");
    std::fs::create_dir_all(&skill).unwrap();
    for i in 0..20u8 {
        let mut bytes = vec![b'x'; 1 << 20];
        bytes[0] = b'a' + i;
        std::fs::write(skill.join(format!("f{i:02}.md")), bytes).unwrap();
    }
    let scanned = scan_tree(dir.path(), &ImportOptions::new()).unwrap();
    let files = &scanned.artifacts[0].files;
    let sourced = files.iter().filter(|f| f.is_sourced()).count();
    assert_eq!((files.len(), sourced), (20, 4));
    let catalog = Catalog::open(dir.path().join("c.db")).unwrap();
    import_scanned(&catalog, scanned, &ImportOptions::new()).unwrap();
    let stored = catalog
        .artifact(&ArtifactKey::parse("skill:many").unwrap())
        .unwrap();
    assert_stored_as_on_disk(&stored, &skill);
}
