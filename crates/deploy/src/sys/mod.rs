//! The one interface between the protocol (`protocol/`) and the operating
//! system. Nothing under `protocol/` calls the OS or names an OS type
//! except through this module, so each platform is one module here:
//!
//! * `unix.rs` — Linux and macOS: POSIX calls relative to directory
//!   handles (rustix), with the kernel-specific fast paths in `linux.rs`
//!   (`openat2`, `renameat2`, `syncfs`) and `macos.rs` (`renameatx_np`,
//!   `F_FULLFSYNC`);
//! * `windows.rs` — Windows: std's file API on paths held beneath an open
//!   root, reparse points refused at every component.
//!
//! Every platform provides the same items: `OwnedFd`, `BorrowedFd`,
//! `AsFd` (a directory handle; on Unix std's own types), `Errno` (an OS
//! error with the POSIX names the protocol matches on), `Meta` (identity
//! and kind of an entry), `Fs` (lookup and placement, with the portable
//! fallback selectable for tests) and the free functions `open_root`,
//! `lstat`, `fstat`, `lock`, `mkdir`, `set_dir_mode`, `set_dir_mode_of`,
//! `rmdir`, `unlink`, `unlink_c`, `write_new`, `read_file`, `list`,
//! `rename`, `fsync`, `syncfs`, `io_failure`. Each refuses to follow a link below the root; where a
//! platform cannot give a guarantee natively, its module says so at the
//! top and docs/guarantees.md lists it.

use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux;
#[cfg(target_vendor = "apple")]
mod macos;
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
pub(crate) use unix::*;
#[cfg(windows)]
pub(crate) use windows::*;

/// Directory-entry operations (a name created, renamed, linked or
/// removed) made by this process so far: the cost that dominates a deploy
/// on this machine's file systems, counted so that a test can hold the
/// protocol to a budget per file without timing anything.
static ENTRY_OPS: AtomicU64 = AtomicU64::new(0);

/// Count one directory-entry operation (each platform module calls this
/// once per name it creates, renames, links or removes).
pub(crate) fn count_entry_op() {
    ENTRY_OPS.fetch_add(1, Ordering::Relaxed);
}

/// The directory-entry operations counted so far in this process.
#[cfg(feature = "failpoints")]
pub(crate) fn entry_ops() -> u64 {
    ENTRY_OPS.load(Ordering::Relaxed)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    windows
)))]
compile_error!("stencil-deploy supports Linux, macOS (and the other Apple systems) and Windows");
