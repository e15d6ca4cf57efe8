//! The deploy benchmark corpus and the two baselines stencil's deploy is
//! measured against: naive direct writes (the floor) and the original
//! system's temp-dir-then-copy. Shared by `benches/benches/deploy.rs` and the
//! `report` binary.

use std::path::Path;

use stencil::deploy::{DeployPlan, RelPath};

/// Bytes per file.
pub const FILE_BYTES: usize = 1024;
/// Files per directory (about one directory per 20 files).
pub const FILES_PER_DIR: usize = 20;

/// The files: `d<k>/f<i>.md`, 1 KiB each.
pub fn corpus(n: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let path = format!("d{}/f{i}.md", i / FILES_PER_DIR);
            let mut bytes = format!("# file {i}\n").into_bytes();
            bytes.resize(FILE_BYTES, b'x');
            (path, bytes)
        })
        .collect()
}

/// Writes each file straight to its final path: no staging, no rollback,
/// no safety. The floor.
pub fn naive(root: &Path, files: &[(String, Vec<u8>)]) {
    for (path, bytes) in files {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::write(target, bytes).expect("write file");
    }
}

/// The original's approach: write everything under `temp` (the system temp
/// dir), then copy each file into place under `root`.
pub fn tempcopy(temp: &Path, root: &Path, files: &[(String, Vec<u8>)]) {
    for (path, bytes) in files {
        let staged = temp.join(path);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::write(staged, bytes).expect("write file");
    }
    for (path, _) in files {
        let target = root.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::copy(temp.join(path), target).expect("copy file");
    }
}

/// The deploy plan for `files` under `root`.
pub fn plan(root: &Path, files: &[(String, Vec<u8>)]) -> DeployPlan {
    let mut plan = DeployPlan::new(root);
    for (path, bytes) in files {
        let path = RelPath::new(path).expect("valid path");
        plan.add(path, bytes.clone(), None).expect("no duplicates");
    }
    plan
}
