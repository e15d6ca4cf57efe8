//! macOS's (and the other Apple systems') variants. Cross-built and
//! type-checked in CI, not run there: kept to the few calls that differ
//! from Linux.
//!
//! * No `openat2`: the shared component walk (`openat(O_NOFOLLOW |
//!   O_DIRECTORY)` per component) is the beneath-the-root lookup.
//! * `renameatx_np(RENAME_EXCL | RENAME_SWAP)` is rustix's `renameat_with`
//!   here (`RenameFlags::NOREPLACE` / `EXCHANGE`); APFS supports both, HFS+
//!   and network or FAT volumes answer `ENOTSUP` and the shared
//!   link-then-rename fallback takes over.
//! * `fsync` does not flush the drive's cache on macOS; `F_FULLFSYNC`
//!   does, so durable modes use it (falling back to `fsync` where the file
//!   system refuses it).
//! * No `syncfs`: `Durability::Batch` is `sync()` (schedules every dirty
//!   buffer) followed by `F_FULLFSYNC` on the root, which flushes the
//!   drive. See docs/guarantees.md for what that promises there.

use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::fs::{self as rfs, OFlags};
use rustix::io::Errno;

/// The errors with which `renameatx_np` says "not supported here".
pub(super) const RENAME_UNSUPPORTED: &[Errno] =
    &[Errno::INVAL, Errno::NOSYS, Errno::NOTSUP, Errno::OPNOTSUPP];

/// No one-call beneath-the-root lookup on macOS: the caller walks.
pub(super) fn open_beneath(
    _base: BorrowedFd<'_>,
    _rel: &str,
    _flags: OFlags,
) -> Option<Result<OwnedFd, Errno>> {
    None
}

/// `F_FULLFSYNC`: data, metadata and the drive cache. File systems that do
/// not implement it (some network and FAT volumes) get a plain `fsync`.
pub(super) fn fsync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    match rfs::fcntl_fullfsync(fd) {
        Err(Errno::NOTSUP | Errno::OPNOTSUPP | Errno::INVAL | Errno::NOTTY) => rfs::fsync(fd),
        other => other,
    }
}

/// `sync()` then `F_FULLFSYNC` on `fd` (the root): the drive flush of the
/// second is a barrier for what the first scheduled on the same device.
pub(super) fn syncfs(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    rfs::sync();
    fsync(fd)
}
