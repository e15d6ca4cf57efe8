//! The interface on Windows: std's file API on paths beneath the root,
//! with `windows-sys` for the one call std lacks (a no-replace rename).
//!
//! Windows has no `openat`: a directory handle here is the canonical path
//! of an open, verified directory (`OwnedFd` keeps the Unix name so the
//! protocol reads the same everywhere). What that changes, and how the
//! contract is kept:
//!
//! * **Links.** Every component below the root is opened with
//!   `FILE_FLAG_OPEN_REPARSE_POINT` and refused if it is a reparse point
//!   (symbolic link, junction, mount point): nothing is followed. The
//!   check is made on the opened handle, so a link swapped in before the
//!   open is caught; one swapped in for a directory *after* it was opened
//!   (a rename race inside the root by a concurrent process) is not, since
//!   later calls use the path — the window Linux's `openat2` and the
//!   handle-relative walk close. docs/guarantees.md lists it.
//! * **No-replace placement** is `MoveFileExW` without
//!   `MOVEFILE_REPLACE_EXISTING`: it fails if anything — a link included —
//!   has the name, atomically.
//! * **Overwrite** has no exchange on Windows. The old file first gets a
//!   second name in the staging area (a hard link: that is the backup),
//!   then the new one replaces it with one rename, so readers always see
//!   the old file or the new. Where hard links are refused (FAT, exFAT,
//!   some network shares) the old file is moved to the backup name first:
//!   for that moment the path is absent — the documented fallback window,
//!   covered by the journal like every other step.
//! * **Files held open** by another process without delete sharing cannot
//!   be replaced or moved: the call fails with the sharing violation,
//!   which the protocol reports and rolls back from.
//! * **Modes** are Unix permission bits; Windows has none, so they are
//!   not applied. **Durability:** `PerFile` flushes each file
//!   (`FlushFileBuffers`); directories need no flush (NTFS logs metadata);
//!   there is no per-volume flush without administrator rights, so
//!   `Batch` flushes nothing beyond what NTFS's log gives.
//!
//! Just over 600 lines: it is one platform's side of the `sys` interface
//! (the same functions as `unix.rs`, one file per platform), and its path
//! checks, placement and error mapping share the verified-path helpers.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::windows::ffi::OsStrExt;
use std::os::windows::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use windows_sys::Win32::Foundation as win;

use super::count_entry_op;
use crate::error::IoFailure;
use windows_sys::Win32::Storage::FileSystem as wfs;

/// An OS error: a Windows error code, normalised so that one condition
/// has one value (`ERROR_PATH_NOT_FOUND` is `NOENT` too), under the POSIX
/// names the protocol matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Errno(u32);

impl Errno {
    pub(crate) const NOENT: Errno = Errno(win::ERROR_FILE_NOT_FOUND);
    pub(crate) const EXIST: Errno = Errno(win::ERROR_ALREADY_EXISTS);
    /// A reparse point where a plain file or directory must be.
    pub(crate) const LOOP: Errno = Errno(win::ERROR_CANT_RESOLVE_FILENAME);
    pub(crate) const NOTDIR: Errno = Errno(win::ERROR_DIRECTORY);
    pub(crate) const ISDIR: Errno = Errno(win::ERROR_DIRECTORY_NOT_SUPPORTED);
    pub(crate) const NOTEMPTY: Errno = Errno(win::ERROR_DIR_NOT_EMPTY);
    pub(crate) const PERM: Errno = Errno(win::ERROR_PRIVILEGE_NOT_HELD);
    /// Also what a directory pending deletion answers to an open.
    const ACCESS_DENIED: Errno = Errno(win::ERROR_ACCESS_DENIED);
    /// Another process holds the file open without delete sharing.
    pub(crate) const BUSY: Errno = Errno(win::ERROR_SHARING_VIOLATION);
    pub(crate) const AGAIN: Errno = Errno(win::ERROR_RETRY);
    pub(crate) const BADF: Errno = Errno(win::ERROR_INVALID_HANDLE);
    pub(crate) const IO: Errno = Errno(win::ERROR_IO_DEVICE);

    fn from_code(code: u32) -> Errno {
        match code {
            win::ERROR_FILE_NOT_FOUND | win::ERROR_PATH_NOT_FOUND => Errno::NOENT,
            win::ERROR_ALREADY_EXISTS | win::ERROR_FILE_EXISTS => Errno::EXIST,
            win::ERROR_SHARING_VIOLATION | win::ERROR_LOCK_VIOLATION => Errno::BUSY,
            other => Errno(other),
        }
    }

    fn from_io(error: &io::Error) -> Errno {
        match error.raw_os_error().and_then(|c| u32::try_from(c).ok()) {
            Some(code) => Errno::from_code(code),
            None => Errno::IO,
        }
    }

    fn last() -> Errno {
        Errno::from_io(&io::Error::last_os_error())
    }
}

impl From<io::Error> for Errno {
    fn from(error: io::Error) -> Errno {
        Errno::from_io(&error)
    }
}

impl From<Errno> for io::Error {
    fn from(errno: Errno) -> io::Error {
        // Windows error codes fit `i32` (they are below 2^16).
        io::Error::from_raw_os_error(i32::try_from(errno.0).unwrap_or(i32::MAX))
    }
}

/// A verified directory: its canonical path (what later calls use), its
/// identity when it was verified, and the deploy lock once taken on it
/// (see [`lock`]), held for the lifetime of the value.
///
/// The handle that verified it is not kept: an open handle makes Windows
/// keep a removed directory as "delete pending" until it is closed, so a
/// rollback could not remove the parents it created. It would not pin the
/// path either (it must allow delete sharing for the protocol's own
/// removals).
#[derive(Debug)]
pub(crate) struct OwnedFd {
    path: PathBuf,
    meta: Meta,
    lock: OnceLock<File>,
}

/// A borrowed directory handle.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BorrowedFd<'a> {
    dir: &'a OwnedFd,
}

/// Borrow a directory handle (std's `AsFd`, for this platform's handles).
pub(crate) trait AsFd {
    fn as_fd(&self) -> BorrowedFd<'_>;
}

impl AsFd for OwnedFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        BorrowedFd { dir: self }
    }
}

impl AsFd for BorrowedFd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        *self
    }
}

impl<T: AsFd> AsFd for &T {
    fn as_fd(&self) -> BorrowedFd<'_> {
        (**self).as_fd()
    }
}

impl BorrowedFd<'_> {
    fn join(&self, name: &str) -> PathBuf {
        self.dir.path.join(name)
    }
}

/// Identity (volume serial number and file index) and kind of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    attributes: u64,
}

impl Meta {
    fn of(file: &File) -> Result<Meta, Errno> {
        let info = winapi_util::file::information(file)?;
        Ok(Meta {
            dev: info.volume_serial_number(),
            ino: info.file_index(),
            attributes: info.file_attributes(),
        })
    }

    fn is_reparse_point(&self) -> bool {
        self.attributes & u64::from(wfs::FILE_ATTRIBUTE_REPARSE_POINT) != 0
    }

    pub(crate) fn is_dir(&self) -> bool {
        !self.is_reparse_point() && self.attributes & u64::from(wfs::FILE_ATTRIBUTE_DIRECTORY) != 0
    }

    /// Symbolic links, junctions and every other reparse point: nothing
    /// the protocol may follow or treat as a plain file.
    pub(crate) fn is_symlink(&self) -> bool {
        self.is_reparse_point()
    }
}

/// Open `path` itself, never what a reparse point there points to; a
/// directory too (`FILE_FLAG_BACKUP_SEMANTICS`). `FILE_READ_ATTRIBUTES` alone
/// is access no other process's share mode can refuse.
fn open_entry(path: &Path, access: u32) -> Result<File, Errno> {
    Ok(OpenOptions::new()
        .access_mode(access)
        .share_mode(wfs::FILE_SHARE_READ | wfs::FILE_SHARE_WRITE | wfs::FILE_SHARE_DELETE)
        .custom_flags(wfs::FILE_FLAG_BACKUP_SEMANTICS | wfs::FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)?)
}

/// Open `path` as a verified directory: not a reparse point, a directory.
fn open_verified_dir(path: PathBuf) -> Result<OwnedFd, Errno> {
    let handle = open_entry(&path, wfs::FILE_READ_ATTRIBUTES)?;
    let meta = Meta::of(&handle)?;
    if meta.is_reparse_point() {
        return Err(Errno::LOOP);
    }
    if !meta.is_dir() {
        return Err(Errno::NOTDIR);
    }
    Ok(OwnedFd {
        path,
        meta,
        lock: OnceLock::new(),
    })
}

/// The file-system operations of one deploy. Windows has one path for
/// each operation, so `portable` changes nothing here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fs {
    _portable: bool,
}

impl Fs {
    pub(crate) fn new(portable: bool) -> Fs {
        Fs {
            _portable: portable,
        }
    }

    /// Open the directory `rel` (normal form, `""` for `base` itself)
    /// beneath `base`, one component at a time, refusing any reparse point
    /// (`LOOP`) and any non-directory (`NOTDIR`).
    pub(crate) fn open_dir(&self, base: BorrowedFd<'_>, rel: &str) -> Result<OwnedFd, Errno> {
        let mut dir = open_verified_dir(base.dir.path.clone())?;
        if rel.is_empty() {
            return Ok(dir);
        }
        for component in rel.split('/') {
            dir = open_verified_dir(dir.path.join(component))?;
        }
        Ok(dir)
    }

    /// Move the staged `slot` to `dir/name` only if nothing is there
    /// (`EXIST` otherwise, whatever is there, a link included).
    pub(crate) fn place_new(
        &self,
        stage: BorrowedFd<'_>,
        slot: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<(), Errno> {
        move_no_replace(&stage.join(slot), &dir.join(name))
    }

    /// Replace the existing `dir/name` with the staged `slot`; afterwards
    /// the old file is in the staging area under `backup`. `NOENT` if the
    /// target vanished, `ISDIR` if it is a directory, `BUSY` if another
    /// process holds it open (nothing changed then).
    pub(crate) fn place_exchange(
        &self,
        stage: BorrowedFd<'_>,
        slot: &str,
        backup: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<(), Errno> {
        let (target, staged, kept) = (dir.join(name), stage.join(slot), stage.join(backup));
        if lstat(dir, name)?.is_dir() {
            return Err(Errno::ISDIR);
        }
        // A file another process holds open without delete sharing cannot
        // be replaced, and its backup link could not be removed again: ask
        // for delete access first and touch nothing if it is refused. (A
        // process opening it between this check and the rename makes the
        // rename fail the same way; only its backup link is then left in
        // the staging area.)
        OpenOptions::new()
            .access_mode(wfs::DELETE)
            .share_mode(wfs::FILE_SHARE_READ | wfs::FILE_SHARE_WRITE | wfs::FILE_SHARE_DELETE)
            .custom_flags(wfs::FILE_FLAG_BACKUP_SEMANTICS | wfs::FILE_FLAG_OPEN_REPARSE_POINT)
            .open(&target)
            .map_err(|e| Errno::from_io(&e))?;
        match fs::hard_link(&target, &kept) {
            Ok(()) => {
                // One rename replaces the old name: readers see old or new.
                if let Err(e) = fs::rename(&staged, &target) {
                    let _ = fs::remove_file(&kept);
                    return Err(Errno::from_io(&e));
                }
                Ok(())
            }
            Err(e) if Errno::from_io(&e) == Errno::NOENT => Err(Errno::NOENT),
            Err(_) => {
                // No hard links here (FAT, exFAT, some shares; reparse
                // points): the rename pair, with the path absent between
                // the two moves. The journal already lists the backup.
                move_no_replace(&target, &kept)?;
                if let Err(e) = move_no_replace(&staged, &target) {
                    let _ = move_no_replace(&kept, &target);
                    return Err(e);
                }
                Ok(())
            }
        }
    }

    /// Put `from` (in the staging area) at `dir/name`, replacing what is
    /// there in one rename.
    pub(crate) fn restore(
        &self,
        stage: BorrowedFd<'_>,
        from: &str,
        dir: BorrowedFd<'_>,
        name: &str,
    ) -> Result<(), Errno> {
        fs::rename(stage.join(from), dir.join(name))?;
        count_entry_op();
        Ok(())
    }

    /// Subtree placement is not enabled on Windows yet: `MoveFileExW`
    /// would move a directory without replacing, but that path has not
    /// been run under Wine with the crash and attack suites, so deploys
    /// here keep placing file by file.
    pub(crate) fn moves_dirs_no_replace(&self) -> bool {
        false
    }

    /// Never called while [`Fs::moves_dirs_no_replace`] is false: nothing
    /// is moved, and the caller places file by file.
    pub(crate) fn place_dir_new(
        &self,
        _stage: BorrowedFd<'_>,
        _staged: &str,
        _dir: BorrowedFd<'_>,
        _name: &str,
    ) -> Result<bool, Errno> {
        Ok(false)
    }
}

/// `MoveFileExW` without `MOVEFILE_REPLACE_EXISTING`: atomic, fails with
/// `EXIST` if `to` exists in any form. Reparse points are moved, never
/// followed.
#[allow(unsafe_code)]
fn move_no_replace(from: &Path, to: &Path) -> Result<(), Errno> {
    let wide = |p: &Path| -> Vec<u16> { p.as_os_str().encode_wide().chain([0]).collect() };
    let (from, to) = (wide(from), wide(to));
    // SAFETY: both arguments are NUL-terminated UTF-16 buffers that outlive
    // the call; MoveFileExW only reads them. This is the crate's one
    // `unsafe`: std has no rename that refuses to replace.
    let ok = unsafe { wfs::MoveFileExW(from.as_ptr(), to.as_ptr(), 0) };
    if ok == 0 {
        Err(Errno::last())
    } else {
        count_entry_op();
        Ok(())
    }
}

/// Identity and kind of `dir/name` itself (never a link's target).
pub(crate) fn lstat(dir: BorrowedFd<'_>, name: &str) -> Result<Meta, Errno> {
    Meta::of(&open_entry(&dir.join(name), wfs::FILE_READ_ATTRIBUTES)?)
}

/// Identity and kind of an open directory.
pub(crate) fn fstat(fd: impl AsFd) -> Result<Meta, Errno> {
    Ok(fd.as_fd().dir.meta)
}

/// Take the exclusive deploy lock on the directory `dir`, waiting for it;
/// released when `dir` is dropped.
///
/// `LockFileEx` refuses directory handles, and a lock file would be a file
/// to clean up, so the lock is a share mode: a second handle to `dir` that
/// reads (`FILE_LIST_DIRECTORY`) and denies read sharing. Another deploy's
/// identical open fails with a sharing violation until this one closes, and
/// waits; every other handle stencil opens asks for attributes only, which
/// share modes never refuse. If the directory vanished meanwhile (a deploy
/// that ended removed it), this returns unlocked: the caller's identity
/// check then fails and it starts again, as on Unix.
pub(crate) fn lock(dir: BorrowedFd<'_>) -> io::Result<()> {
    let mut pause = Duration::from_millis(1);
    loop {
        let held = OpenOptions::new()
            .access_mode(wfs::FILE_LIST_DIRECTORY)
            .share_mode(wfs::FILE_SHARE_WRITE | wfs::FILE_SHARE_DELETE)
            .custom_flags(wfs::FILE_FLAG_BACKUP_SEMANTICS | wfs::FILE_FLAG_OPEN_REPARSE_POINT)
            .open(&dir.dir.path);
        match held.as_ref().map_err(Errno::from_io) {
            Ok(_) => {
                if let Ok(file) = held {
                    let _ = dir.dir.lock.set(file);
                }
                return Ok(());
            }
            Err(Errno::BUSY) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(Errno::NOENT | Errno::ACCESS_DENIED) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
}

/// What an error from one of these calls means, by its Windows error code.
pub(crate) fn io_failure(error: &io::Error) -> IoFailure {
    let Some(code) = error.raw_os_error().and_then(|c| u32::try_from(c).ok()) else {
        return IoFailure::Other;
    };
    match code {
        win::ERROR_ACCESS_DENIED => IoFailure::PermissionDenied,
        win::ERROR_PRIVILEGE_NOT_HELD => IoFailure::NotPermitted,
        win::ERROR_WRITE_PROTECT => IoFailure::ReadOnlyFileSystem,
        win::ERROR_DISK_FULL | win::ERROR_HANDLE_DISK_FULL => IoFailure::NoSpace,
        win::ERROR_DISK_QUOTA_EXCEEDED => IoFailure::QuotaExceeded,
        win::ERROR_FILENAME_EXCED_RANGE => IoFailure::NameTooLong,
        win::ERROR_SHARING_VIOLATION | win::ERROR_LOCK_VIOLATION => IoFailure::Busy,
        win::ERROR_NOT_SAME_DEVICE => IoFailure::CrossDevice,
        win::ERROR_TOO_MANY_LINKS => IoFailure::TooManyLinks,
        win::ERROR_IO_DEVICE | win::ERROR_CRC => IoFailure::InputOutput,
        _ => IoFailure::Other,
    }
}

/// Windows has no permission bits: a created directory's mode is not set.
pub(crate) fn set_dir_mode(_dir: BorrowedFd<'_>, _name: &str, _mode: u32) -> Result<(), Errno> {
    Ok(())
}

/// As [`set_dir_mode`], for a directory named by a path.
pub(crate) fn set_dir_mode_of(_path: &Path, _mode: u32) -> Result<(), Errno> {
    Ok(())
}

pub(crate) fn mkdir(dir: BorrowedFd<'_>, name: &str, _mode: u32) -> Result<(), Errno> {
    fs::create_dir(dir.join(name))?;
    count_entry_op();
    Ok(())
}

/// Create the directory `dir/name` and open it (verified not to be a
/// reparse point). `mode` is not applied: Windows has no permission bits.
pub(crate) fn mkdir_open(dir: BorrowedFd<'_>, name: &str, mode: u32) -> Result<OwnedFd, Errno> {
    mkdir(dir, name, mode)?;
    Fs::new(false).open_dir(dir, name)
}

/// Remove the empty directory `dir/name`; a reparse point there is not a
/// directory of ours and is left alone (`NOTDIR`), as Unix `rmdir` does.
pub(crate) fn rmdir(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    if lstat(dir, name)?.is_reparse_point() {
        return Err(Errno::NOTDIR);
    }
    fs::remove_dir(dir.join(name))?;
    count_entry_op();
    Ok(())
}

/// Remove the file (or link itself) `dir/name`.
pub(crate) fn unlink(dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
    fs::remove_file(dir.join(name))?;
    count_entry_op();
    Ok(())
}

pub(crate) fn unlink_c(dir: BorrowedFd<'_>, name: &CString) -> Result<(), Errno> {
    let name = name.to_str().map_err(|_| Errno::NOENT)?;
    unlink(dir, name)
}

/// Create `dir/name` exclusively (`CREATE_NEW`: fails on any existing
/// name, a link included), write `contents`, optionally flush, and return
/// the file index that identifies the file as ours from now on. `mode` is
/// not applied: Windows has no permission bits.
pub(crate) fn write_new(
    dir: BorrowedFd<'_>,
    name: &str,
    contents: &[u8],
    _mode: u32,
    sync: bool,
) -> io::Result<u64> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(wfs::FILE_FLAG_OPEN_REPARSE_POINT)
        .open(dir.join(name))?;
    count_entry_op();
    file.write_all(contents)?;
    if sync {
        file.sync_all()?;
    }
    Ok(Meta::of(&file)?.ino)
}

/// Read a small regular file relative to a directory handle, not through
/// a link; a reparse point or directory there is refused without reading.
pub(crate) fn read_file(dir: BorrowedFd<'_>, name: &str) -> io::Result<Vec<u8>> {
    let mut file = OpenOptions::new()
        .read(true)
        .custom_flags(wfs::FILE_FLAG_OPEN_REPARSE_POINT)
        .open(dir.join(name))?;
    let meta = Meta::of(&file)?;
    if meta.is_reparse_point() || meta.attributes & u64::from(wfs::FILE_ATTRIBUTE_DIRECTORY) != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    Ok(buf)
}

/// The names in a directory.
pub(crate) fn list(dir: BorrowedFd<'_>) -> Result<Vec<CString>, Errno> {
    let mut names = Vec::new();
    for entry in fs::read_dir(&dir.dir.path)? {
        let entry = entry?;
        // Only names stencil created are removed through this list; a name
        // that is not valid UTF-8 without NUL is not one of them.
        if let Some(name) = entry
            .file_name()
            .to_str()
            .and_then(|n| CString::new(n).ok())
        {
            names.push(name);
        }
    }
    Ok(names)
}

/// Directories need no flush on Windows: NTFS logs metadata changes, and
/// `FlushFileBuffers` on a directory needs write access to it.
pub(crate) fn fsync(_fd: impl AsFd) -> Result<(), Errno> {
    Ok(())
}

/// No per-volume flush without administrator rights: see the module docs.
pub(crate) fn syncfs(_fd: impl AsFd) -> Result<(), Errno> {
    Ok(())
}

/// Open `path` as a directory. The root itself may be reached through
/// links (the caller's choice); its canonical path is what every later
/// call builds on.
pub(crate) fn open_root(path: &Path) -> Result<OwnedFd, Errno> {
    let meta = fs::metadata(path)?;
    if !meta.is_dir() {
        return Err(Errno::NOTDIR);
    }
    let canonical = fs::canonicalize(path)?;
    let handle = OpenOptions::new()
        .access_mode(wfs::FILE_READ_ATTRIBUTES)
        .share_mode(wfs::FILE_SHARE_READ | wfs::FILE_SHARE_WRITE | wfs::FILE_SHARE_DELETE)
        .custom_flags(wfs::FILE_FLAG_BACKUP_SEMANTICS)
        .open(&canonical)?;
    Ok(OwnedFd {
        path: canonical,
        meta: Meta::of(&handle)?,
        lock: OnceLock::new(),
    })
}

/// Rename within one directory, replacing the target.
pub(crate) fn rename(dir: BorrowedFd<'_>, from: &str, to: &str) -> Result<(), Errno> {
    fs::rename(dir.join(from), dir.join(to))?;
    count_entry_op();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_code_maps_to_what_it_means() {
        for (code, want) in [
            (win::ERROR_ACCESS_DENIED, IoFailure::PermissionDenied),
            (win::ERROR_PRIVILEGE_NOT_HELD, IoFailure::NotPermitted),
            (win::ERROR_WRITE_PROTECT, IoFailure::ReadOnlyFileSystem),
            (win::ERROR_DISK_FULL, IoFailure::NoSpace),
            (win::ERROR_HANDLE_DISK_FULL, IoFailure::NoSpace),
            (win::ERROR_DISK_QUOTA_EXCEEDED, IoFailure::QuotaExceeded),
            (win::ERROR_FILENAME_EXCED_RANGE, IoFailure::NameTooLong),
            (win::ERROR_SHARING_VIOLATION, IoFailure::Busy),
            (win::ERROR_LOCK_VIOLATION, IoFailure::Busy),
            (win::ERROR_NOT_SAME_DEVICE, IoFailure::CrossDevice),
            (win::ERROR_TOO_MANY_LINKS, IoFailure::TooManyLinks),
            (win::ERROR_IO_DEVICE, IoFailure::InputOutput),
            (win::ERROR_FILE_NOT_FOUND, IoFailure::Other),
        ] {
            let error = io::Error::from_raw_os_error(i32::try_from(code).unwrap());
            assert_eq!(io_failure(&error), want, "{code}");
        }
        assert_eq!(io_failure(&io::Error::other("none")), IoFailure::Other);
    }

    #[test]
    fn one_condition_has_one_errno() {
        let errno = |code: u32| Errno::from_io(&io::Error::from_raw_os_error(code as i32));
        assert_eq!(errno(win::ERROR_PATH_NOT_FOUND), Errno::NOENT);
        assert_eq!(errno(win::ERROR_FILE_NOT_FOUND), Errno::NOENT);
        assert_eq!(errno(win::ERROR_FILE_EXISTS), Errno::EXIST);
        assert_eq!(errno(win::ERROR_ALREADY_EXISTS), Errno::EXIST);
        assert_eq!(errno(win::ERROR_LOCK_VIOLATION), Errno::BUSY);
        assert_eq!(Errno::from_io(&io::Error::other("none")), Errno::IO);
    }
}
