//! Staged, atomic, crash-recoverable placement of a set of files into a
//! project directory. Every file is written into a staging area inside the
//! target root and renamed into place, so each path holds its old or its new
//! content at every moment, a failure undoes everything, and a crash is
//! repaired by the next deploy or by [`recover`].
//!
//! A [`DeployPlan`] is a root and entries `(RelPath, bytes, mode)`;
//! [`RelPath`] validates each path component by component. [`deploy`] runs
//! the plan under [`DeployOptions`] (overwrite policy, durability, dry run,
//! staging threads, a progress observer) and returns a [`DeployReport`].
//!
//! # Example
//!
//! ```
//! use stencil_deploy::{deploy, DeployOptions, DeployPlan, OverwritePolicy, RelPath};
//!
//! let dir = tempfile::tempdir()?;
//! let root = dir.path().join("project");
//! std::fs::create_dir(&root)?;
//! std::fs::write(root.join("README.md"), "mine\n")?;
//!
//! let mut plan = DeployPlan::new(&root);
//! plan.add(RelPath::new("README.md")?, "# template\n", None)?;
//! plan.add(RelPath::new(".claude/commands/review.md")?, "Review {{this}}.\n", None)?;
//! plan.add(RelPath::new("bin/setup")?, "#!/bin/sh\necho ok\n", Some(0o755))?;
//!
//! // The default policy skips files that already exist.
//! let report = deploy(&plan, &DeployOptions::new())?;
//! assert_eq!(report.skipped, [RelPath::new("README.md")?]);
//! assert_eq!(report.written.len(), 2);
//! assert_eq!(std::fs::read_to_string(root.join("README.md"))?, "mine\n");
//!
//! // Overwrite replaces it, atomically.
//! let options = DeployOptions::new().overwrite(OverwritePolicy::Overwrite);
//! let report = deploy(&plan, &options)?;
//! assert_eq!(report.overwritten.len(), 3);
//! assert_eq!(std::fs::read_to_string(root.join("README.md"))?, "# template\n");
//!
//! // No state is left behind.
//! assert!(!root.join(".stencil").exists());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The contract
//!
//! Stated on [`deploy`] next to the code that keeps it, and proved by the
//! tests named in the workspace's `docs/guarantees.md`:
//!
//! * `Ok`: every planned path holds the new content (and mode) or was skipped
//!   by policy, and the report says which.
//! * `Err`: the tree is byte-identical to before — files, contents, modes;
//!   directories the deploy created are removed.
//! * After a crash or kill at any point, the next [`deploy`] into the root, or
//!   [`recover`], restores exactly the old tree (or completes the new one if
//!   the commit point was passed), with no staging litter.
//! * Each file is always either old or new content for any reader.
//! * Nothing is written, created, renamed or removed outside the root,
//!   whatever the plan's paths and whatever links exist or appear in it.
//! * Deploys into one root are serialized by a lock.
//!
//! # Platform
//!
//! Linux, macOS and Windows; the platform code is one module each behind one
//! internal interface, the protocol is shared.
//!
//! * Linux: `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` and
//!   `renameat2(RENAME_NOREPLACE | RENAME_EXCHANGE)` through `rustix`; on
//!   kernels or file systems without them a component-wise
//!   `openat(O_NOFOLLOW)` walk and `link`-based placement, which keep the
//!   same contract.
//! * macOS: the component-wise walk, `renameatx_np(RENAME_EXCL |
//!   RENAME_SWAP)` (same fallback), `F_FULLFSYNC` for durability.
//! * Windows: every component checked not to be a reparse point,
//!   `MoveFileExW` without `MOVEFILE_REPLACE_EXISTING` for no-replace, a
//!   hard-link backup plus one rename for overwrite.
//!
//! `docs/guarantees.md` has the per-platform table: what holds, how, and
//! which test proves it.
//!
//! # Crate features
//!
//! * `failpoints` — off by default, never for release builds. Adds
//!   `DeployOptions::failpoint` to fail or "crash" at any step of the
//!   protocol, and `DeployOptions::force_portable`; the crate's own tests
//!   turn it on.

#![deny(missing_docs)]
// No `unsafe` on Unix. On Windows exactly one function,
// `sys::windows::move_no_replace`, calls `MoveFileExW` (std has no rename
// that refuses to replace) and allows it locally.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]

mod error;
mod journal;
mod options;
mod path;
mod plan;
mod protocol;
mod report;
mod sys;

pub use crate::error::{DeployError, IoFailure, PathError, PlanError};
pub use crate::options::{DeployEvent, DeployObserver, DeployOptions, Durability, OverwritePolicy};
#[cfg(feature = "failpoints")]
pub use crate::options::{FailAction, Failpoint, Step};
pub use crate::path::{RelPath, STATE_DIR};
pub use crate::plan::{
    ContentSource, Contents, DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, DeployPlan, Expect, PlanEntry,
};
pub use crate::protocol::{deploy, recover};

/// Directory-entry operations (a name created, renamed, linked or
/// removed) this process has made through the crate so far. With the
/// `failpoints` feature only: tests hold the protocol to a budget per file
/// with it (`tests/budget.rs`), without timing anything.
#[cfg(feature = "failpoints")]
pub fn directory_entry_ops() -> u64 {
    crate::sys::entry_ops()
}
pub use crate::report::{DeployReport, RecoveryReport};
