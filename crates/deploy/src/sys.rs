//! The few system calls the protocol needs, each refusing to follow a
//! symbolic link, with a portable fallback where Linux's fast path is
//! missing.
//!
//! This is the one interface between the protocol (`protocol/`) and the
//! operating system: nothing under `protocol/` calls `rustix` or names one
//! of its types except through this module (`Errno` is re-exported here,
//! file metadata is reduced to [`Meta`]), so a port to another platform
//! replaces this file and nothing else.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags, ResolveFlags};
/// The error of every call here: an OS error number.
pub(crate) use rustix::io::Errno;

/// Directory handles are opened readable (so they can be `fsync`ed) and
/// never through a link.
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC)
    .union(OFlags::NOFOLLOW);

/// Set once `openat2` reported ENOSYS (kernels before 5.6).
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);
/// Set once `renameat2` flags were refused (kernels before 3.15, or a file
/// system without support).
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
        if !self.portable && !NO_OPENAT2.load(Ordering::Relaxed) {
            let resolve =
                ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
            // EAGAIN means a concurrent rename raced the lookup; the kernel
            // asks us to retry.
            for _ in 0..8 {
                match rfs::openat2(base, rel, DIR_FLAGS, Mode::empty(), resolve) {
                    Err(Errno::AGAIN) => continue,
                    Err(Errno::NOSYS) => {
                        NO_OPENAT2.store(true, Ordering::Relaxed);
                        break;
                    }
                    other => return other,
                }
            }
            if !NO_OPENAT2.load(Ordering::Relaxed) {
                return Err(Errno::AGAIN);
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
                Err(Errno::INVAL | Errno::NOSYS) => NO_RENAMEAT2.store(true, Ordering::Relaxed),
                other => return other,
            }
        }
        // `link` never replaces its target: the same no-replace guarantee.
        rfs::linkat(stage, slot, dir, name, AtFlags::empty())?;
        // The extra name is harmless: cleanup removes the staging area.
        let _ = rfs::unlinkat(stage, slot, AtFlags::empty());
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
                Err(Errno::INVAL | Errno::NOSYS) => NO_RENAMEAT2.store(true, Ordering::Relaxed),
                other => return other,
            }
        }
        // Keep a second name for the old file, then replace atomically.
        rfs::linkat(dir, name, stage, backup, AtFlags::empty())?;
        if let Err(e) = rfs::renameat(stage, slot, dir, name) {
            let _ = rfs::unlinkat(stage, backup, AtFlags::empty());
            return Err(e);
        }
        Ok(())
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
        rfs::renameat(stage, from, dir, name)
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
            // `st_dev` is not `u64` on every libc target.
            #[allow(clippy::useless_conversion)]
            dev: u64::from(stat.st_dev),
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

/// `lstat` relative to a directory handle.
pub(crate) fn lstat(dir: BorrowedFd<'_>, name: &str) -> Result<Meta, Errno> {
    rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map(|s| Meta::of(&s))
}

/// Take an exclusive advisory lock on `file` (`flock`), waiting for it.
pub(crate) fn lock(file: &File) -> std::io::Result<()> {
    file.lock()
}

pub(crate) fn mkdir(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<(), Errno> {
    rfs::mkdirat(dir, name, Mode::from_raw_mode(mode))
}

pub(crate) fn rmdir(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    rfs::unlinkat(dir, name, AtFlags::REMOVEDIR)
}

pub(crate) fn unlink(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    rfs::unlinkat(dir, name, AtFlags::empty())
}

pub(crate) fn unlink_c(dir: BorrowedFd<'_>, name: &CString) -> Result<(), Errno> {
    rfs::unlinkat(dir, name.as_c_str(), AtFlags::empty())
}

/// Create `dir/name` exclusively (never through a link), write `contents`,
/// set `mode` exactly (the umask does not apply), optionally `fsync`, and
/// return the inode number that identifies the file as ours from now on.
pub(crate) fn write_new(
    dir: BorrowedFd<'_>,
    name: &str,
    contents: &[u8],
    mode: u32,
    sync: bool,
) -> std::io::Result<u64> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let fd = rfs::openat(dir, name, flags, Mode::from_raw_mode(mode))?;
    let mut file = File::from(fd);
    file.write_all(contents)?;
    // The umask may have cleared bits; `fchmod` only then, since the
    // `fstat` is needed anyway for the inode number.
    let stat = rfs::fstat(&file)?;
    if stat.st_mode & 0o7777 != mode {
        rfs::fchmod(&file, Mode::from_raw_mode(mode))?;
    }
    if sync {
        rfs::fsync(&file)?;
    }
    Ok(stat.st_ino)
}

/// Read a small file relative to a directory handle, not through a link.
pub(crate) fn read_file(dir: BorrowedFd<'_>, name: &str) -> Result<Vec<u8>, std::io::Error> {
    use std::io::Read;
    let fd = rfs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::empty(),
    )?;
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

pub(crate) fn fsync(fd: impl AsFd) -> Result<(), Errno> {
    rfs::fsync(fd)
}

pub(crate) fn syncfs(fd: impl AsFd) -> Result<(), Errno> {
    rfs::syncfs(fd)
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

/// Write `dir/name` afresh (truncating), not through a link.
pub(crate) fn write_replace(
    dir: BorrowedFd<'_>,
    name: &str,
    contents: &[u8],
    sync: bool,
) -> std::io::Result<()> {
    let fd = rfs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o644),
    )?;
    let mut file = File::from(fd);
    file.write_all(contents)?;
    if sync {
        rfs::fsync(&file)?;
    }
    Ok(())
}

pub(crate) fn rename(dir: BorrowedFd<'_>, from: &str, to: &str) -> Result<(), Errno> {
    rfs::renameat(dir, from, dir, to)
}
