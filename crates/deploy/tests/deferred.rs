//! Deferred contents: a file whose bytes are read only when it is staged.
//! Placed like any other file, and a source that fails leaves the tree as
//! it was.

mod common;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::snapshot;
use stencil_deploy::{
    ContentSource, Contents, DeployError, DeployOptions, DeployPlan, Expect, RelPath, deploy,
};

#[derive(Debug)]
struct Counted {
    bytes: Vec<u8>,
    reads: AtomicUsize,
    fail: bool,
}

impl ContentSource for Counted {
    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read(&self) -> io::Result<Vec<u8>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        if self.fail {
            return Err(io::Error::other("the catalogue changed since planning"));
        }
        Ok(self.bytes.clone())
    }
}

fn source(bytes: &[u8], fail: bool) -> Arc<Counted> {
    Arc::new(Counted {
        bytes: bytes.to_vec(),
        reads: AtomicUsize::new(0),
        fail,
    })
}

#[test]
fn deferred_files_are_read_when_staged_and_placed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    let big = source(&vec![7u8; 1 << 20], false);
    let mut plan = DeployPlan::new(&root);
    plan.add(RelPath::new("held.txt").unwrap(), "held", None)
        .unwrap();
    let deferred: Arc<dyn ContentSource> = big.clone();
    plan.add_contents(
        RelPath::new("deep/big.bin").unwrap(),
        Contents::deferred(deferred),
        None,
        Expect::Absent,
    )
    .unwrap();
    assert_eq!(
        big.reads.load(Ordering::Relaxed),
        0,
        "planning reads nothing"
    );
    let report = deploy(&plan, &DeployOptions::new()).unwrap();
    assert_eq!(report.bytes, 4 + (1 << 20));
    assert_eq!(big.reads.load(Ordering::Relaxed), 1);
    assert_eq!(std::fs::read(root.join("deep/big.bin")).unwrap(), big.bytes);
    assert_eq!(std::fs::read(root.join("held.txt")).unwrap(), b"held");
}

#[test]
fn a_failing_source_fails_the_deploy_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    std::fs::create_dir(&root).unwrap();
    std::fs::write(root.join("kept.txt"), "mine").unwrap();
    let before = snapshot(&root);
    let mut plan = DeployPlan::new(&root);
    for i in 0..20 {
        plan.add(RelPath::new(&format!("f{i}.txt")).unwrap(), "x", None)
            .unwrap();
    }
    let failing: Arc<dyn ContentSource> = source(b"abc", true);
    plan.add_contents(
        RelPath::new("late.txt").unwrap(),
        Contents::deferred(failing),
        None,
        Expect::Policy,
    )
    .unwrap();
    let err = deploy(&plan, &DeployOptions::new()).unwrap_err();
    assert!(matches!(err, DeployError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("late.txt"), "{err}");
    assert_eq!(snapshot(&root), before);
}
