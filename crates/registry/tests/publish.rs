//! Publishing into a directory and reading it back as a client would.

mod common;

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use stencil_registry::{
    ErrorKind, Limits, Package, PackageFile, Publisher, Registry, TrustAnchor, open_location,
};

#[test]
fn publish_then_verify_through_a_file_url() {
    let f = Fixture::new();
    let url = format!("file://{}", f.path().display());
    let source = open_location(&url).unwrap();
    let registry =
        Registry::bootstrap("team", source.as_ref(), &f.anchor(), &Limits::DEFAULT, t0()).unwrap();
    let names: Vec<String> = registry
        .snapshot()
        .packages
        .iter()
        .map(|e| e.id())
        .collect();
    assert_eq!(names, ["command:review@1", "command:ship@1"]);
    let review = registry
        .fetch(source.as_ref(), "command", "review", None)
        .unwrap();
    assert_eq!(
        review.files()[0].path().as_str(),
        ".claude/commands/review.md"
    );
    assert_eq!(review.files()[0].bytes(), b"Review.\n");
    assert_eq!(review.description_text(), "the review command");
}

#[test]
fn the_same_content_again_writes_nothing() {
    let mut f = Fixture::new();
    let before = f.read("snapshot.json");
    let report = f
        .publisher
        .publish(&[command("review", "Review.\n")], t0() + days(1))
        .unwrap();
    assert_eq!(report.snapshot_version, None);
    assert_eq!(report.unchanged, ["command:review@1"]);
    assert_eq!(report.blobs_written, 0);
    assert_eq!(f.read("snapshot.json"), before);
}

#[test]
fn new_content_gets_a_new_version_and_old_blobs_stay() {
    let mut f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    let v1_blob = f
        .bootstrap()
        .unwrap()
        .snapshot()
        .latest("command", "review")
        .unwrap()
        .blob_path();
    let v1_inode = inode(&f.file(&v1_blob));
    let report = f
        .publisher
        .publish(
            &[
                command("review", "Review twice.\n"),
                command("ship", "Ship.\n"),
            ],
            t0(),
        )
        .unwrap();
    assert_eq!(report.published.len(), 1);
    assert_eq!(report.published[0].id(), "command:review@2");
    assert_eq!(report.unchanged, ["command:ship@1"]);
    let registry = f.update(&state).unwrap();
    let latest = registry
        .fetch(&f.source(), "command", "review", None)
        .unwrap();
    assert_eq!(latest.version(), 2);
    assert_eq!(latest.files()[0].bytes(), b"Review twice.\n");
    let old = registry
        .fetch(&f.source(), "command", "review", Some(1))
        .unwrap();
    assert_eq!(old.files()[0].bytes(), b"Review.\n");
    assert_eq!(
        inode(&f.file(&v1_blob)),
        v1_inode,
        "an existing blob was rewritten"
    );
}

#[test]
fn a_damaged_existing_blob_stops_the_publication() {
    let mut f = Fixture::new();
    let package = command("lint", "Lint.\n");
    // Find where the blob will go by publishing into a scratch registry.
    let scratch = tempfile::tempdir().unwrap();
    let mut other = Publisher::open_or_create(scratch.path(), vec![key(1)], t0()).unwrap();
    let path = other
        .publish(std::slice::from_ref(&package), t0())
        .unwrap()
        .published[0]
        .blob_path();
    f.write(&path, b"not the blob");
    let before = f.read("snapshot.json");
    let err = f.publisher.publish(&[package], t0()).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::DamagedBlob), "{err}");
    assert_eq!(f.read("snapshot.json"), before);
}

#[test]
fn yanked_versions_are_never_latest() {
    let mut f = Fixture::new();
    f.publisher
        .publish(&[command("review", "v2\n")], t0())
        .unwrap();
    f.publisher.yank("command", "review", 2, t0()).unwrap();
    let registry = f.bootstrap().unwrap();
    let snapshot = registry.snapshot();
    assert_eq!(snapshot.latest("command", "review").unwrap().version, 1);
    assert!(snapshot.find("command", "review", 2).unwrap().yanked);
    assert_eq!(
        registry
            .fetch(&f.source(), "command", "review", Some(2))
            .unwrap()
            .version(),
        2
    );
}

#[test]
fn refresh_extends_the_expiry() {
    let mut f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    let later = t0() + days(29);
    let report = f.publisher.refresh(later).unwrap();
    assert_eq!(report.snapshot_version, Some(3));
    Registry::update(
        "team",
        &f.source(),
        &state,
        &Limits::DEFAULT,
        t0() + days(40),
    )
    .unwrap();
}

#[test]
fn an_expiring_root_is_renewed_by_publishing() {
    let mut f = Fixture::new();
    let state = f.bootstrap().unwrap().state();
    let late = t0() + days(350);
    let report = f
        .publisher
        .publish(&[command("lint", "Lint.\n")], late)
        .unwrap();
    assert_eq!(report.root_version, Some(2));
    let registry = Registry::update("team", &f.source(), &state, &Limits::DEFAULT, late).unwrap();
    assert_eq!(registry.root().version, 2);
    assert!(registry.root().expires > late + days(300));
}

#[cfg(unix)]
#[test]
fn published_files_are_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let registry = f.bootstrap().unwrap();
    for name in ["root.json", "roots/1.root.json", "snapshot.json"] {
        let mode = fs::metadata(f.file(name)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "{name}");
    }
    let blob = f.blob_of(&registry, "review");
    let mode = fs::metadata(f.file(&blob)).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
}

/// A reader racing a publisher always sees a complete registry: a snapshot
/// whose every blob is present and verifies.
#[test]
fn a_reader_racing_the_publisher_sees_old_or_new_and_every_blob() {
    let f = Arc::new(Fixture::new());
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (f, done) = (Arc::clone(&f), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut reads = 0u32;
            let mut state = f.bootstrap().unwrap().state();
            while !done.load(Ordering::Relaxed) || reads < 20 {
                let registry = f.update(&state).unwrap();
                for entry in &registry.snapshot().packages {
                    registry.fetch_package(&f.source(), entry).unwrap();
                }
                state = registry.state();
                reads += 1;
            }
            reads
        })
    };
    let mut publisher = Publisher::open_or_create(f.path(), vec![key(1)], t0()).unwrap();
    for i in 0..40 {
        let package = Package::new("skill", &format!("s{}", i % 7))
            .unwrap()
            .file(PackageFile::new("SKILL.md", format!("round {i}\n")).unwrap())
            .unwrap();
        publisher.publish(&[package], t0()).unwrap();
    }
    done.store(true, Ordering::Relaxed);
    assert!(reader.join().unwrap() >= 20);
}

#[test]
fn bootstrap_with_threshold_and_several_keys() {
    let dir = tempfile::tempdir().unwrap();
    let publisher = Publisher::open_or_create(dir.path(), vec![key(1), key(2)], t0()).unwrap();
    assert_eq!(publisher.root().threshold, 1);
    assert_eq!(publisher.root().keys.len(), 2);
    let anchor = TrustAnchor::Keys {
        keys: vec![key(1).public(), key(2).public()],
        threshold: 2,
    };
    let source = stencil_registry::DirSource::new(dir.path());
    Registry::bootstrap("team", &source, &anchor, &Limits::DEFAULT, t0()).unwrap();
}

#[cfg(unix)]
fn inode(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).unwrap().ino()
}

#[cfg(not(unix))]
fn inode(path: &std::path::Path) -> u64 {
    fs::read(path).unwrap().len() as u64
}
