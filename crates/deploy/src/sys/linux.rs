//! Linux's fast paths: `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`
//! resolves a whole relative path in one call, `renameat2` gives
//! no-replace and exchange, `syncfs` flushes the file system in one call.

use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::fs::{self as rfs, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// The errors with which `renameat2` says "no such flag here" (kernels
/// before 3.15, file systems without support) rather than "failed".
pub(super) const RENAME_UNSUPPORTED: &[Errno] = &[Errno::INVAL, Errno::NOSYS];

/// Open the directory `rel` beneath `base` in one call, never through a
/// link. `Some(Err(NOSYS))` on kernels before 5.6: the caller walks.
pub(super) fn open_beneath(
    base: BorrowedFd<'_>,
    rel: &str,
    flags: OFlags,
) -> Option<Result<OwnedFd, Errno>> {
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    // EAGAIN means a concurrent rename raced the lookup; the kernel asks us
    // to retry.
    for _ in 0..8 {
        match rfs::openat2(base, rel, flags, Mode::empty(), resolve) {
            Err(Errno::AGAIN) => continue,
            other => return Some(other),
        }
    }
    Some(Err(Errno::AGAIN))
}

/// `fsync`: on Linux it also flushes the drive's write cache.
pub(super) fn fsync(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    rfs::fsync(fd)
}

/// `syncfs`: every dirty page of the file system holding `fd`, then the
/// drive cache — the one barrier of `Durability::Batch`.
pub(super) fn syncfs(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    rfs::syncfs(fd)
}
