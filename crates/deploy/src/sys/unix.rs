//! The interface on Linux and macOS: POSIX calls relative to directory
//! handles, through `rustix`, each refusing to follow a symbolic link. The
//! kernel-specific fast paths (beneath-the-root lookup, no-replace and
//! exchange renames, whole-file-system flush, drive-cache flush) live in
//! `linux.rs` and `macos.rs`; everything else here is shared and is also
//! the portable fallback when a fast path is missing.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
pub(crate) use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::IoFailure;
use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags};
/// The error of every call here: an OS error number.
pub(crate) use rustix::io::Errno;

use super::count_entry_op;
#[cfg(any(target_os = "linux", target_os = "android"))]
use super::linux as native;
#[cfg(target_vendor = "apple")]
use super::macos as native;

/// Directory handles are opened readable (so they can be `fsync`ed) and
/// never through a link.
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);

/// Set once the kernel has no beneath-the-root lookup (`openat2` reported
/// ENOSYS on Linux before 5.6; always on macOS).
static NO_BENEATH: AtomicBool = AtomicBool::new(false);
/// Set once no-replace/exchange renames were refused (Linux before 3.15,
/// macOS before 10.12, or a file system without support: see
/// `native::RENAME_UNSUPPORTED`).
static NO_RENAMEAT2: AtomicBool = AtomicBool::new(false);

/// The file-system operations of one deploy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fs {
    portable: bool,
}

impl Fs {
    pub(crate) fn new(portable: bool) -> Fs {
        Fs { portable }
    }

    /// Open the directory `rel` (normal form, `""` for `base` itself)
    /// beneath `base` without following any symbolic link on the way: a
    /// link anywhere gives `ELOOP`, a non-directory `ENOTDIR`.
    pub(crate) fn open_dir(&self, base: BorrowedFd<'_>, rel: &str) -> Result<OwnedFd, Errno> {
        if rel.is_empty() {
            return rfs::openat(base, c".", DIR_FLAGS, Mode::empty());
        }
        if !self.portable && !NO_BENEATH.load(Ordering::Relaxed) {
            match native::open_beneath(base, rel, DIR_FLAGS) {
                Some(Err(Errno::NOSYS)) | None => NO_BENEATH.store(true, Ordering::Relaxed),
                Some(other) => return other,
            }
        }
        // Portable walk: one `openat(O_NOFOLLOW|O_DIRECTORY)` per component.
        // A `RelPath` has no `..`, so with no link followed the walk cannot
        // leave `base`.
        let mut fd = rfs::openat(base, c".", DIR_FLAGS, Mode::empty())?;
        for component in rel.split('/') {
            fd = rfs::openat(&fd, component, DIR_FLAGS, Mode::empty())?;
        }
        Ok(fd)
    }

    fn native_rename(&self) -> bool {
        !self.portable && !NO_RENAMEAT2.load(Ordering::Relaxed)
    }

    /// Move the staged `slot` to `dir/name` only if nothing is there
    /// (`EEXIST` otherwise, whatever is there, a dangling link included).
    pub(crate) fn place_new(
        &self,
        stage: BorrowedFd<'_>,
        slot: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<(), Errno> {
        if self.native_rename() {
            match rfs::renameat_with(stage, slot, dir, name, RenameFlags::NOREPLACE) {
                Err(e) if native::RENAME_UNSUPPORTED.contains(&e) => {
                    NO_RENAMEAT2.store(true, Ordering::Relaxed)
                }
                other => return other.inspect(|()| count_entry_op()),
            }
        }
        // `link` never replaces its target: the same no-replace guarantee.
        rfs::linkat(stage, slot, dir, name, AtFlags::empty())?;
        // The extra name is harmless: cleanup removes the staging area.
        let _ = rfs::unlinkat(stage, slot, AtFlags::empty());
        count_entry_op();
        count_entry_op();
        Ok(())
    }

    /// Swap the staged `slot` with the existing `dir/name`, atomically for
    /// readers. Afterwards the old file is in the staging area: under `slot`
    /// on the fast path, under `backup` on the fallback. `ENOENT` if the
    /// target vanished.
    pub(crate) fn place_exchange(
        &self,
        stage: BorrowedFd<'_>,
        slot: &str,
        backup: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<(), Errno> {
        if self.native_rename() {
            match rfs::renameat_with(stage, slot, dir, name, RenameFlags::EXCHANGE) {
                Err(e) if native::RENAME_UNSUPPORTED.contains(&e) => {
                    NO_RENAMEAT2.store(true, Ordering::Relaxed)
                }
                other => return other.inspect(|()| count_entry_op()),
            }
        }
        // Keep a second name for the old file, then replace atomically.
        rfs::linkat(dir, name, stage, backup, AtFlags::empty())?;
        if let Err(e) = rfs::renameat(stage, slot, dir, name) {
            let _ = rfs::unlinkat(stage, backup, AtFlags::empty());
            return Err(e);
        }
        count_entry_op();
        count_entry_op();
        Ok(())
    }

    /// Whether [`Fs::place_dir_new`] can put a staged directory in place
    /// with one no-replace rename here (so far as is known: a file system
    /// may still refuse it, and then `place_dir_new` answers `Ok(false)`).
    pub(crate) fn moves_dirs_no_replace(&self) -> bool {
        self.native_rename()
    }

    /// Move the staged directory `staged` (a whole new subtree) to
    /// `dir/name` with one rename, only if nothing is there (`EEXIST`
    /// otherwise, a link included). `Ok(false)` when this system or file
    /// system has no no-replace rename: nothing was moved, and the caller
    /// places the subtree's files one by one. (There is no link-based
    /// fallback for a directory, and a plain rename would replace an empty
    /// directory that appeared meanwhile.)
    pub(crate) fn place_dir_new(
        &self,
        stage: BorrowedFd<'_>,
        staged: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<bool, Errno> {
        if !self.native_rename() {
            return Ok(false);
        }
        match rfs::renameat_with(stage, staged, dir, name, RenameFlags::NOREPLACE) {
            Err(e) if native::RENAME_UNSUPPORTED.contains(&e) => {
                NO_RENAMEAT2.store(true, Ordering::Relaxed);
                Ok(false)
            }
            Err(e) => Err(e),
            Ok(()) => {
                count_entry_op();
                Ok(true)
            }
        }
    }

    /// Atomically put `from` (in the staging area) at `dir/name`, replacing
    /// what is there.
    pub(crate) fn restore(
        &self,
        stage: BorrowedFd<'_>,
        from: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<(), Errno> {
        rfs::renameat(stage, from, dir, name).inspect(|()| count_entry_op())
    }
}

/// What the protocol needs to know about a directory entry: which file it
/// is (device and inode number) and what kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    kind: FileType,
}

impl Meta {
    fn of(stat: &rfs::Stat) -> Meta {
        Meta {
            // `st_dev` is `i32` on macOS; only equality matters here.
            #[allow(clippy::unnecessary_cast, clippy::cast_sign_loss)]
            dev: stat.st_dev as u64,
            #[allow(clippy::useless_conversion)]
            ino: u64::from(stat.st_ino),
            kind: FileType::from_raw_mode(stat.st_mode),
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.kind == FileType::Directory
    }

    pub(crate) fn is_symlink(&self) -> bool {
        self.kind == FileType::Symlink
    }
}

/// What an error from one of these calls means, by its error number.
pub(crate) fn io_failure(error: &std::io::Error) -> IoFailure {
    let Some(raw) = error.raw_os_error() else {
        return IoFailure::Other;
    };
    match Errno::from_raw_os_error(raw) {
        Errno::ACCESS => IoFailure::PermissionDenied,
        Errno::PERM => IoFailure::NotPermitted,
        Errno::ROFS => IoFailure::ReadOnlyFileSystem,
        Errno::NOSPC => IoFailure::NoSpace,
        Errno::DQUOT => IoFailure::QuotaExceeded,
        Errno::NAMETOOLONG => IoFailure::NameTooLong,
        Errno::BUSY | Errno::TXTBSY => IoFailure::Busy,
        Errno::XDEV => IoFailure::CrossDevice,
        Errno::MLINK => IoFailure::TooManyLinks,
        Errno::IO => IoFailure::InputOutput,
        _ => IoFailure::Other,
    }
}

/// `lstat` relative to a directory handle.
pub(crate) fn lstat(dir: BorrowedFd<'_>, name: &str) -> Result<Meta, Errno> {
    rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map(|s| Meta::of(&s))
}

/// Take an exclusive advisory lock on the directory `dir` (`flock`),
/// waiting for it; it is released when the handle is closed.
pub(crate) fn lock(dir: BorrowedFd<'_>) -> std::io::Result<()> {
    Ok(rfs::flock(dir, rfs::FlockOperation::LockExclusive)?)
}

pub(crate) fn mkdir(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<(), Errno> {
    rfs::mkdirat(dir, name, mode_bits(mode)).inspect(|()| count_entry_op())
}

/// Create the directory `dir/name` and open it (never through a link),
/// with exactly `mode` (the umask is not applied): `mkdirat`, `openat`,
/// `fstat`, and `fchmod` only if the umask cleared bits.
pub(crate) fn mkdir_open(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<OwnedFd, Errno> {
    rfs::mkdirat(dir, name, mode_bits(mode))?;
    count_entry_op();
    let fd = rfs::openat(dir, name, DIR_FLAGS, Mode::empty())?;
    exact_mode(&fd, mode)?;
    Ok(fd)
}

/// Give the directory `dir/name`, just created, exactly `mode`: `mkdirat`
/// applies the umask. Opened without following a link (what is at the name
/// may have been swapped since), and changed only if the umask cleared bits.
pub(crate) fn set_dir_mode(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<(), Errno> {
    let fd = rfs::openat(dir, name, DIR_FLAGS, Mode::empty())?;
    exact_mode(&fd, mode)
}

/// As [`set_dir_mode`], for a directory named by a path (the root and its
/// ancestors; earlier components may be links, the last is not followed).
pub(crate) fn set_dir_mode_of(path: &std::path::Path, mode: u32) -> Result<(), Errno> {
    let fd = rfs::openat(rfs::CWD, path, DIR_FLAGS, Mode::empty())?;
    exact_mode(&fd, mode)
}

fn exact_mode(fd: &OwnedFd, mode: u32) -> Result<(), Errno> {
    #[allow(clippy::useless_conversion)] // `st_mode` is `u16` on macOS.
    if u32::from(rfs::fstat(fd)?.st_mode) & 0o7777 != mode {
        rfs::fchmod(fd, mode_bits(mode))?;
    }
    Ok(())
}

pub(crate) fn rmdir(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    rfs::unlinkat(dir, name, AtFlags::REMOVEDIR).inspect(|()| count_entry_op())
}

pub(crate) fn unlink(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    rfs::unlinkat(dir, name, AtFlags::empty()).inspect(|()| count_entry_op())
}

pub(crate) fn unlink_c(dir: BorrowedFd<'_>, name: &CString) -> Result<(), Errno> {
    rfs::unlinkat(dir, name.as_c_str(), AtFlags::empty()).inspect(|()| count_entry_op())
}

/// Create `dir/name` exclusively (never through a link), write `contents`,
/// set `mode` exactly (the umask does not apply), optionally `fsync`, and
/// return the inode number that identifies the file as ours from now on.
///
/// This is the only way the crate opens a file for writing: always a new
/// file at a name stencil chose (`O_CREAT | O_EXCL | O_NOFOLLOW`), so
/// whatever is already at that name — a file, a hard link to a file outside
/// the root, a symbolic link — makes it fail with `EEXIST` and is never
/// truncated, appended to or written through.
pub(crate) fn write_new(
    dir: BorrowedFd<'_>,
    name: &str,
    contents: &[u8],
    mode: u32,
    sync: bool,
) -> std::io::Result<u64> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let fd = rfs::openat(dir, name, flags, mode_bits(mode))?;
    count_entry_op();
    let mut file = File::from(fd);
    file.write_all(contents)?;
    // The umask may have cleared bits; `fchmod` only then, since the
    // `fstat` is needed anyway for the inode number.
    let stat = rfs::fstat(&file)?;
    #[allow(clippy::useless_conversion)] // `st_mode` is `u16` on macOS.
    if u32::from(stat.st_mode) & 0o7777 != mode {
        rfs::fchmod(&file, mode_bits(mode))?;
    }
    if sync {
        native::fsync(file.as_fd())?;
    }
    #[allow(clippy::useless_conversion)] // `st_ino` is not `u64` on every libc target.
    Ok(u64::from(stat.st_ino))
}

/// Read a small regular file relative to a directory handle, not through
/// a link. Anything else at the name (a FIFO that would block, a device, a
/// directory) is refused with [`std::io::ErrorKind::InvalidInput`], without
/// reading from it.
pub(crate) fn read_file(dir: BorrowedFd<'_>, name: &str) -> Result<Vec<u8>, std::io::Error> {
    use std::io::Read;
    // Non-blocking, so that opening a planted FIFO does not wait for a writer.
    let fd = rfs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    if FileType::from_raw_mode(rfs::fstat(&fd)?.st_mode) != FileType::RegularFile {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut buf = Vec::new();
    File::from(fd).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The names in a directory, `.` and `..` excluded.
pub(crate) fn list(dir: BorrowedFd<'_>) -> Result<Vec<CString>, Errno> {
    let mut names = Vec::new();
    for entry in rfs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    Ok(names)
}

/// Make `fd`'s data and metadata durable (on macOS including the drive's
/// cache: `F_FULLFSYNC`).
pub(crate) fn fsync(fd: impl AsFd) -> Result<(), Errno> {
    native::fsync(fd.as_fd())
}

/// Make everything written to `fd`'s file system so far durable (Linux:
/// `syncfs`; macOS: see `macos::syncfs`).
pub(crate) fn syncfs(fd: impl AsFd) -> Result<(), Errno> {
    native::syncfs(fd.as_fd())
}

pub(crate) fn fstat(fd: impl AsFd) -> Result<Meta, Errno> {
    rfs::fstat(fd).map(|s| Meta::of(&s))
}

/// Open `path` (absolute or relative to the working directory) as a
/// directory. The root itself may be reached through links: it is the
/// caller's choice; only what lies beneath it is guarded.
pub(crate) fn open_root(path: &std::path::Path) -> Result<OwnedFd, Errno> {
    rfs::openat(
        rfs::CWD,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

pub(crate) fn rename(dir: BorrowedFd<'_>, from: &str, to: &str) -> Result<(), Errno> {
    rfs::renameat(dir, from, dir, to).inspect(|()| count_entry_op())
}

/// `mode_t` is `u32` on Linux and `u16` on macOS; a deploy's modes are
/// permission bits (`0o7777` at most), which fit both.
fn mode_bits(mode: u32) -> Mode {
    #[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
    let raw = rfs::RawMode::try_from(mode & 0o7777).unwrap_or(0o600);
    Mode::from_raw_mode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_number_maps_to_what_it_means() {
        for (errno, want) in [
            (Errno::ACCESS, IoFailure::PermissionDenied),
            (Errno::PERM, IoFailure::NotPermitted),
            (Errno::ROFS, IoFailure::ReadOnlyFileSystem),
            (Errno::NOSPC, IoFailure::NoSpace),
            (Errno::DQUOT, IoFailure::QuotaExceeded),
            (Errno::NAMETOOLONG, IoFailure::NameTooLong),
            (Errno::BUSY, IoFailure::Busy),
            (Errno::TXTBSY, IoFailure::Busy),
            (Errno::XDEV, IoFailure::CrossDevice),
            (Errno::MLINK, IoFailure::TooManyLinks),
            (Errno::IO, IoFailure::InputOutput),
            (Errno::NOENT, IoFailure::Other),
            (Errno::ISDIR, IoFailure::Other),
        ] {
            assert_eq!(io_failure(&errno.into()), want, "{errno:?}");
        }
        let synthetic = std::io::Error::other("no error number");
        assert_eq!(io_failure(&synthetic), IoFailure::Other);
    }
}
