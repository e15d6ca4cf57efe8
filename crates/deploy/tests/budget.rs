//! Non-timing budgets: directory-entry operations (a name created,
//! renamed, linked or removed) per deployed file, counted by the crate
//! itself (`directory_entry_ops`, failpoints feature). On this project's
//! file systems these operations, not the number of system calls, are what
//! a deploy's kernel time grows with (issue 16's `strace -c` and
//! `/usr/bin/time` figures; docs/performance.md).
//!
//! One test function: the counter is per process, and tests in one binary
//! run on parallel threads.

mod common;

use common::*;
use stencil_deploy::{DeployOptions, OverwritePolicy, deploy, directory_entry_ops};

const FILES: usize = 1_000;

fn ops_per_file(plan: &stencil_deploy::DeployPlan, options: &DeployOptions) -> f64 {
    let before = directory_entry_ops();
    let report = deploy(plan, options).unwrap();
    let ops = directory_entry_ops() - before;
    assert_eq!(
        report.written.len() + report.overwritten.len(),
        plan.entries().len()
    );
    ops as f64 / plan.entries().len() as f64
}

#[test]
#[cfg_attr(
    windows,
    ignore = "subtree placement is not enabled on Windows yet: files are placed one by one there"
)]
fn directory_entry_operations_per_file_stay_within_budget() {
    let dir = tempfile::tempdir().unwrap();

    // A fresh root: every directory is new, so every file goes in with its
    // subtree's one rename. Each file costs its one creation in staging;
    // each directory its one creation, each subtree one rename, the deploy
    // a constant (state directory, journal). Placing file by file costs
    // two per file (create, rename) plus the directories: > 2.
    let fresh = spread_plan(&dir.path().join("fresh"), FILES, 20, "new");
    let per_file = ops_per_file(&fresh, &DeployOptions::new());
    assert!(per_file <= 1.3, "fresh root: {per_file:.3} per file");
    assert!(per_file >= 1.0, "the counter counts: {per_file:.3}");

    // A new subtree beside existing files, with two staging threads.
    let beside = dir.path().join("beside");
    write(&beside, "README.md", "mine");
    let plan = spread_plan(&beside, FILES, 20, "new");
    let per_file = ops_per_file(&plan, &DeployOptions::new().workers(2));
    assert!(
        per_file <= 1.3,
        "beside existing files: {per_file:.3} per file"
    );

    // Overwriting every file: staged (1), exchanged (1), the backup
    // removed (1).
    let options = DeployOptions::new().overwrite(OverwritePolicy::Overwrite);
    let again = spread_plan(&dir.path().join("fresh"), FILES, 20, "newer");
    let per_file = ops_per_file(&again, &options);
    assert!(per_file <= 3.05, "overwrite: {per_file:.3} per file");

    // The portable fallback (no `renameat2`): no subtree renames, and a
    // link plus an unlink per placement; held to what it costs today.
    let portable = spread_plan(&dir.path().join("portable"), FILES, 20, "new");
    let per_file = ops_per_file(&portable, &DeployOptions::new().force_portable(true));
    assert!(per_file <= 3.3, "portable: {per_file:.3} per file");
}
