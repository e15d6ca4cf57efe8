//! Files whose content the catalogue reads while it stores them
//! (`NewFile::sourced`): stored exactly like held content, read only when
//! the blob is new, checked against the size and hash they were made with,
//! and all or nothing when a source fails or changed. On both backends
//! (the PostgreSQL one when a server answers).

mod common;

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{PgModes, artifact, catalogs, key};
use stencil_store::{BlobSource, Catalog, Error, NewArtifact, NewFile, PutOutcome};

/// Content in memory standing in for a file: it can be changed after it
/// was hashed, made unreadable, and counts how often it was opened.
struct Mem {
    bytes: Mutex<Vec<u8>>,
    opened: AtomicUsize,
    broken: bool,
}

impl Mem {
    fn new(bytes: Vec<u8>) -> Arc<Self> {
        Arc::new(Mem {
            bytes: Mutex::new(bytes),
            opened: AtomicUsize::new(0),
            broken: false,
        })
    }

    fn broken() -> Arc<Self> {
        Arc::new(Mem {
            bytes: Mutex::new(Vec::new()),
            opened: AtomicUsize::new(0),
            broken: true,
        })
    }

    fn set(&self, bytes: Vec<u8>) {
        *self.bytes.lock().unwrap() = bytes;
    }

    fn opened(&self) -> usize {
        self.opened.load(Ordering::SeqCst)
    }
}

impl BlobSource for Mem {
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        if self.broken {
            return Err(io::Error::new(io::ErrorKind::NotFound, "gone"));
        }
        Ok(Box::new(io::Cursor::new(
            self.bytes.lock().unwrap().clone(),
        )))
    }

    fn describe(&self) -> String {
        "test source".to_string()
    }
}

/// A sourced file made from `bytes` as they are now.
fn sourced(path: &str, bytes: &[u8], source: &Arc<Mem>) -> NewFile {
    let hash = *blake3::hash(bytes).as_bytes();
    NewFile::sourced(path, bytes.len() as u64, hash, source.clone())
}

/// Several read pieces long, not a multiple of one.
fn big(seed: u8) -> Vec<u8> {
    (0..300_007u32)
        .map(|i| (i % 251) as u8 ^ seed)
        .collect::<Vec<u8>>()
}

#[test]
fn sourced_files_are_stored_like_held_ones() {
    for t in catalogs(
        "sourced_files_are_stored_like_held_ones",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        sourced_files_are_stored_like_held_ones_on(&t.catalog);
    }
}

fn sourced_files_are_stored_like_held_ones_on(c: &Catalog) {
    let content = big(0);
    let source = Mem::new(content.clone());
    let empty = Mem::new(Vec::new());
    let file = sourced("data/big.bin", &content, &source)
        .executable(true)
        .verbatim(true);
    assert!(file.is_sourced() && file.content.is_empty());
    assert_eq!(file.size(), content.len() as u64);
    let a = NewArtifact::new(key("skill", "big"))
        .with_file(file)
        .with_file(sourced("data/empty", b"", &empty))
        .file("SKILL.md", "# big\n");
    let report = c.import([a]).unwrap();
    assert_eq!(report.created, [key("skill", "big")]);
    assert_eq!((source.opened(), empty.opened()), (1, 1));

    let stored = c.artifact(&key("skill", "big")).unwrap();
    let paths: Vec<&str> = stored.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["SKILL.md", "data/big.bin", "data/empty"]);
    assert_eq!(stored.files[1].content, content);
    assert_eq!(
        stored.files[1].hash,
        blake3::hash(&content).to_hex().as_str()
    );
    assert!(stored.files[1].executable && stored.files[1].verbatim);
    assert!(stored.files[2].content.is_empty());
    // The outline: the same artifact, no content read.
    let outline = c.artifact_outline(&key("skill", "big")).unwrap();
    assert!(outline.files.iter().all(|f| f.content.is_empty()));
    let strip = |a: &stencil_store::Artifact| {
        let mut a = a.clone();
        a.files.iter_mut().for_each(|f| f.content.clear());
        a
    };
    assert_eq!(outline, strip(&stored));

    // The same bytes held: the same artifact, nothing to change.
    let held = NewArtifact::new(key("skill", "big"))
        .with_file(
            NewFile::new("data/big.bin", content.clone())
                .executable(true)
                .verbatim(true),
        )
        .file("data/empty", "")
        .file("SKILL.md", "# big\n");
    assert_eq!(c.put_artifact(&held).unwrap(), PutOutcome::Unchanged);

    // A blob stored already is not read again, by import or put.
    let twin = Mem::new(content.clone());
    let copy = NewArtifact::new(key("skill", "copy")).with_file(sourced("x.bin", &content, &twin));
    assert_eq!(c.put_artifact(&copy).unwrap(), PutOutcome::Created);
    let again =
        NewArtifact::new(key("skill", "again")).with_file(sourced("y.bin", &content, &twin));
    assert_eq!(c.import([again]).unwrap().created, [key("skill", "again")]);
    assert_eq!(twin.opened(), 0);
    assert_eq!(
        c.artifact(&key("skill", "again")).unwrap().files[0].content,
        content
    );

    // A sourced file changes like a held one: a new version.
    let other = big(7);
    let changed = Mem::new(other.clone());
    let update =
        NewArtifact::new(key("skill", "copy")).with_file(sourced("x.bin", &other, &changed));
    assert_eq!(c.put_artifact(&update).unwrap(), PutOutcome::Updated);
    assert_eq!(
        c.artifact(&key("skill", "copy")).unwrap().files[0].content,
        other
    );
    assert_eq!(c.versions(&key("skill", "copy")).unwrap().len(), 2);
}

#[test]
fn a_source_that_changed_after_hashing_fails_the_import_and_stores_nothing() {
    for t in catalogs(
        "a_source_that_changed_after_hashing_fails_the_import_and_stores_nothing",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        let c = &t.catalog;
        let content = big(1);
        // Same length, other bytes; longer; shorter.
        let mut flipped = content.clone();
        flipped[200_000] ^= 1;
        let mut longer = content.clone();
        longer.push(b'!');
        let shorter = content[..content.len() - 1].to_vec();
        for now in [flipped, longer, shorter] {
            let source = Mem::new(content.clone());
            let file = sourced("big.bin", &content, &source);
            source.set(now);
            let items = vec![
                artifact("skill", "first"),
                NewArtifact::new(key("skill", "big")).with_file(file),
                artifact("skill", "last"),
            ];
            match c.import(items.clone()) {
                Err(Error::SourceChanged {
                    artifact,
                    path,
                    source_name,
                }) => {
                    assert_eq!(
                        (artifact.as_str(), path.as_str(), source_name.as_str()),
                        ("skill:big", "big.bin", "test source")
                    );
                }
                other => panic!("{}: expected SourceChanged, got {other:?}", t.name),
            }
            for a in &items {
                assert!(
                    matches!(c.artifact(&a.key), Err(Error::NotFound { .. })),
                    "{}: {} was stored by a failed import",
                    t.name,
                    a.key
                );
            }
            assert!(matches!(
                c.put_artifact(&items[1]),
                Err(Error::SourceChanged { .. })
            ));
            assert!(matches!(
                c.artifact(&items[1].key),
                Err(Error::NotFound { .. })
            ));
        }
    }
}

#[test]
fn a_source_that_cannot_be_read_fails_the_import_and_stores_nothing() {
    for t in catalogs(
        "a_source_that_cannot_be_read_fails_the_import_and_stores_nothing",
        PgModes::Triggers,
        Catalog::builder,
    ) {
        eprintln!("backend: {}", t.name);
        let c = &t.catalog;
        let source = Mem::broken();
        let items = vec![
            artifact("skill", "first"),
            NewArtifact::new(key("skill", "gone")).with_file(sourced(
                "gone.bin",
                b"was here",
                &source,
            )),
        ];
        match c.import(items.clone()) {
            Err(Error::SourceRead {
                artifact, source, ..
            }) => {
                assert_eq!(artifact, "skill:gone");
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("{}: expected SourceRead, got {other:?}", t.name),
        }
        assert_eq!(source.opened(), 1);
        assert!(matches!(
            c.artifact(&key("skill", "first")),
            Err(Error::NotFound { .. })
        ));
    }
}
