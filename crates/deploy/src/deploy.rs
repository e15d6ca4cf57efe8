//! The protocol: lock, recover, preflight, stage, journal, place, commit —
//! and the rollback and recovery that keep the contract when any step fails.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use rustix::io::Errno;

use crate::error::DeployError;
use crate::journal::{Journal, JournalFile};
use crate::options::{DeployEvent, DeployOptions, Durability, OverwritePolicy};
#[cfg(feature = "failpoints")]
use crate::options::{FailAction, Step};
use crate::path::{RelPath, STATE_DIR};
use crate::plan::DeployPlan;
use crate::report::{DeployReport, RecoveryReport};
use crate::sys::{self, Fs};

/// Present from before the first placement until the commit point.
const JOURNAL: &str = "deploy-journal";
const JOURNAL_TMP: &str = "deploy-journal.tmp";
/// Staged files: one flat directory per staging thread ("lane", so that
/// threads never contend for one directory's lock) — lane 0 is this
/// directory itself, lane `k` its subdirectory `lane<k>`. Slot `<i>` of a
/// lane holds entry `i`; after an exchange it holds the old file, which is
/// the backup. No mirror tree: creating directories is slow here.
const STAGING: &str = "deploy-staging";

fn lane_name(lane: usize) -> String {
    format!("lane{lane}")
}

/// Open lane `lane` of the staging directory `stage`.
fn open_lane(fs: Fs, stage: BorrowedFd<'_>, lane: usize) -> Result<OwnedFd, Errno> {
    if lane == 0 {
        fs.open_dir(stage, "")
    } else {
        fs.open_dir(stage, &lane_name(lane))
    }
}

/// Fire the failpoint armed for a step (compiled out without the feature).
macro_rules! failpoint {
    ($options:expr, $step:expr) => {
        #[cfg(feature = "failpoints")]
        fire($options, $step)?;
    };
}

#[cfg(feature = "failpoints")]
fn fire(options: &DeployOptions, step: Step) -> Result<(), DeployError> {
    match options.failpoint_at(step) {
        None => Ok(()),
        Some(FailAction::Error) => Err(DeployError::Failpoint { step, crash: false }),
        Some(FailAction::Crash) => Err(DeployError::Failpoint { step, crash: true }),
    }
}

fn crashed(error: &DeployError) -> bool {
    #[cfg(feature = "failpoints")]
    if let DeployError::Failpoint { crash: true, .. } = error {
        return true;
    }
    let _ = error;
    false
}

fn io(action: &'static str, path: PathBuf, errno: Errno) -> DeployError {
    DeployError::io(action, path, errno.into())
}

fn under(root: &Path, rel: &str) -> PathBuf {
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    }
}

fn state_path(root: &Path, name: &str) -> PathBuf {
    root.join(STATE_DIR).join(name)
}

/// Translate a failure to open the directory `dir` on the way to `entry`.
/// `open_dir` refuses links and non-directories, but the kernel reports
/// both as `ELOOP` or `ENOTDIR` depending on where they are, so look at
/// each component to name the culprit.
fn dir_error(
    root_fd: BorrowedFd<'_>,
    root: &Path,
    entry: &RelPath,
    dir: &str,
    errno: Errno,
) -> DeployError {
    if !matches!(errno, Errno::LOOP | Errno::NOTDIR) {
        return io("open directory", under(root, dir), errno);
    }
    let culprit = |prefix: &str, link: bool| {
        let at = RelPath::from_normal(prefix);
        if link {
            DeployError::SymlinkInPath {
                path: entry.clone(),
                link: at,
            }
        } else {
            DeployError::NotADirectory {
                path: entry.clone(),
                file: at,
            }
        }
    };
    let walk = Fs::new(true);
    let mut end = 0;
    while end < dir.len() {
        let next = dir[end..].find('/').map_or(dir.len(), |i| end + i);
        let (parent, name) = (&dir[..end.saturating_sub(1)], &dir[end..next]);
        let Ok(parent_fd) = walk.open_dir(root_fd, parent) else {
            break;
        };
        match sys::lstat(parent_fd.as_fd(), name) {
            Ok(stat) if rustix::fs::FileType::from_raw_mode(stat.st_mode).is_symlink() => {
                return culprit(&dir[..next], true);
            }
            Ok(stat) if !sys::is_dir(&stat) => return culprit(&dir[..next], false),
            _ => {}
        }
        end = next + 1;
    }
    // Changed again under our feet: name the directory itself.
    culprit(dir, errno == Errno::LOOP)
}

/// Deploy `plan` under `options`.
///
/// In order: open (or create) the root; take the lock in its `.stencil/`
/// directory; recover any interrupted earlier deploy; check every planned
/// path against the disk without following links; stage every file in
/// `.stencil/deploy-staging/`; write the journal; create the missing
/// directories; place each file with one rename; commit by removing the
/// journal; remove the staging area.
///
/// # Contract
///
/// * `Ok`: every planned path holds the planned bytes and mode, or was left
///   alone by [`OverwritePolicy::Skip`]; the report says which.
/// * `Err`: the tree under the root is as it was (files, contents, modes;
///   directories the deploy created are removed, the root too if it created
///   it). The one exception is [`DeployError::RollbackFailed`], which keeps
///   the journal so that [`recover`] can finish later.
/// * A reader of any planned path sees the old file or the new one, never a
///   partial file: files are only ever renamed into place.
/// * Nothing outside the root is touched, whatever links exist or appear in
///   it: every directory is opened beneath the root's handle with
///   `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS`, and every rename goes through
///   such handles.
/// * Concurrent deploys into one root (threads or processes) run one after
///   the other.
///
/// `.stencil/` is stencil's state directory: its lock, journal and staging
/// area are removed when the deploy ends, and so is the directory itself if
/// that leaves it empty.
pub fn deploy(plan: &DeployPlan, options: &DeployOptions) -> Result<DeployReport, DeployError> {
    let started = Instant::now();
    let fs = Fs::new(options.portable());
    if options.is_dry_run() {
        return dry_run(fs, plan, options, started);
    }
    let root = plan.root();
    let (root_fd, created_now) = open_or_create_root(root)?;
    let lock = match Lock::acquire(fs, root_fd.as_fd(), root) {
        Ok(lock) => lock,
        Err(e) => {
            remove_root_chain(root, created_now);
            return Err(e);
        }
    };
    let mut tx = Tx {
        fs,
        plan,
        options,
        root,
        root_fd,
        lock: Some(lock),
        root_created: created_now,
        stage: None,
        lanes: Vec::new(),
        placed: Vec::new(),
        created_dirs: Vec::new(),
        committed: false,
    };
    match tx.run(started) {
        Ok(report) => Ok(report),
        // A simulated crash leaves everything as a killed process would.
        Err(e) if crashed(&e) => Err(e),
        // Past the commit point there is nothing to undo.
        Err(e) if tx.committed => Err(e),
        Err(e) => Err(tx.roll_back(e)),
    }
}

/// Undo (or finish) a deploy into `root` that was interrupted by a crash or
/// a kill, and remove its leftovers. [`deploy`] does this first on its own;
/// call `recover` to repair a root without deploying.
///
/// With a journal (the deploy had not committed), every file it placed is
/// put back as it was, every directory it created removed (and the root, if
/// it created that). Without one, only the staging area is removed. A root
/// with no state directory is left untouched (nothing is created).
pub fn recover(root: impl AsRef<Path>) -> Result<RecoveryReport, DeployError> {
    let root = root.as_ref();
    let fs = Fs::new(false);
    let root_fd = match sys::open_root(root) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(RecoveryReport::default()),
        Err(Errno::NOTDIR) => {
            return Err(DeployError::RootNotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io("open the project root", root.to_path_buf(), e)),
    };
    match fs.open_dir(root_fd.as_fd(), STATE_DIR) {
        Err(Errno::NOENT) => return Ok(RecoveryReport::default()),
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(DeployError::StateDir {
                path: root.join(STATE_DIR),
            });
        }
        Err(e) => return Err(io("open", root.join(STATE_DIR), e)),
        Ok(_) => {}
    }
    let lock = Lock::acquire(fs, root_fd.as_fd(), root)?;
    let workers = DeployOptions::cleanup_workers();
    match recover_locked(fs, root_fd.as_fd(), root, lock.fd(), workers) {
        Ok(report) => {
            lock.release(root_fd.as_fd(), true);
            remove_root_chain(root, report.root_dirs_created);
            Ok(report)
        }
        Err(e) => {
            lock.release(root_fd.as_fd(), false);
            Err(e)
        }
    }
}

/// Open the root, creating it and its missing ancestors if needed. Returns
/// how many directories, from the root upwards, this call created.
fn open_or_create_root(root: &Path) -> Result<(OwnedFd, usize), DeployError> {
    match sys::open_root(root) {
        Ok(fd) => return Ok((fd, 0)),
        Err(Errno::NOENT) => {}
        Err(Errno::NOTDIR) => {
            return Err(DeployError::RootNotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io("open the project root", root.to_path_buf(), e)),
    }
    let missing: Vec<&Path> = root
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .take_while(|p| std::fs::symlink_metadata(p).is_err())
        .collect();
    // Create outermost first; count only an unbroken run ending at the root,
    // so that rollback never removes a directory someone else made.
    let mut created = 0;
    for dir in missing.iter().rev() {
        match std::fs::create_dir(dir) {
            Ok(()) => created += 1,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => created = 0,
            Err(e) => {
                remove_root_chain(root, created);
                return Err(DeployError::io("create directory", dir.to_path_buf(), e));
            }
        }
    }
    match sys::open_root(root) {
        Ok(fd) => Ok((fd, created)),
        Err(e) => {
            remove_root_chain(root, created);
            Err(io("open the project root", root.to_path_buf(), e))
        }
    }
}

/// Remove the `count` directories from `root` upwards that a deploy
/// created, stopping at the first that is not empty.
fn remove_root_chain(root: &Path, count: usize) {
    for dir in root.ancestors().take(count) {
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

/// The deploy lock: `flock` on the state directory itself, so that taking
/// it creates no file. Held for the whole deploy or recovery.
struct Lock {
    state: File,
}

impl Lock {
    fn acquire(fs: Fs, root_fd: BorrowedFd<'_>, root: &Path) -> Result<Lock, DeployError> {
        let state_dir = || DeployError::StateDir {
            path: root.join(STATE_DIR),
        };
        // A deploy that ends removes the state directory (if empty) while
        // still holding the lock, so a waiter may wake holding a lock on a
        // directory that is gone: it checks that the name still leads to
        // the directory it locked, and starts again if not.
        for _ in 0..1000 {
            match sys::mkdir(root_fd, STATE_DIR, 0o755) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(io("create directory", root.join(STATE_DIR), e)),
            }
            let state = match fs.open_dir(root_fd, STATE_DIR) {
                Ok(fd) => File::from(fd),
                Err(Errno::NOENT) => continue,
                Err(Errno::LOOP | Errno::NOTDIR) => return Err(state_dir()),
                Err(e) => return Err(io("open", root.join(STATE_DIR), e)),
            };
            state
                .lock()
                .map_err(|e| DeployError::io("lock", root.join(STATE_DIR), e))?;
            let mine = sys::fstat(&state).map(|s| (s.st_dev, s.st_ino));
            match (mine, sys::lstat(root_fd, STATE_DIR)) {
                (Ok(mine), Ok(now)) if (now.st_dev, now.st_ino) == mine => {
                    return Ok(Lock { state });
                }
                _ => continue,
            }
        }
        Err(io("lock", root.join(STATE_DIR), Errno::AGAIN))
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.state.as_fd()
    }

    /// Unlock; with `cleanup`, first remove the state directory if it is
    /// empty (while still holding the lock, so no waiter uses it meanwhile).
    fn release(self, root_fd: BorrowedFd<'_>, cleanup: bool) {
        if cleanup {
            let _ = sys::rmdir(root_fd, STATE_DIR);
        }
        drop(self.state);
    }
}

/// What preflight decided for one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Nothing is at the path: place with no-replace.
    Create,
    /// A file (or link) is at the path: swap it out.
    Exchange,
    /// A file is at the path and the policy says skip.
    Skip,
}

struct Preflight {
    actions: Vec<Action>,
    /// Missing directories, parents first.
    dirs: Vec<RelPath>,
}

/// Check every planned path against the disk, reading only. `root_fd` is
/// `None` when the root does not exist yet (a dry run).
fn preflight(
    fs: Fs,
    root: &Path,
    root_fd: Option<BorrowedFd<'_>>,
    plan: &DeployPlan,
    policy: OverwritePolicy,
) -> Result<Preflight, DeployError> {
    let entries = plan.entries();
    let mut exists: HashMap<String, bool> = HashMap::new();
    exists.insert(String::new(), root_fd.is_some());
    for entry in entries {
        classify(
            fs,
            root,
            root_fd,
            entry.path(),
            entry.path().parent_str(),
            &mut exists,
        )?;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (
            entries[a].path().parent_str(),
            entries[b].path().parent_str(),
        );
        pa.cmp(pb).then(a.cmp(&b))
    });
    let mut actions = vec![Action::Create; entries.len()];
    let mut existing = Vec::new();
    let mut current: Option<(&str, OwnedFd)> = None;
    for i in order {
        let path = entries[i].path();
        let parent = path.parent_str();
        let (Some(root_fd), true) = (root_fd, exists.get(parent).copied().unwrap_or(false)) else {
            continue;
        };
        if current.as_ref().map(|c| c.0) != Some(parent) {
            let fd = fs
                .open_dir(root_fd, parent)
                .map_err(|e| dir_error(root_fd, root, path, parent, e))?;
            current = Some((parent, fd));
        }
        let Some((_, dir)) = &current else { continue };
        match sys::lstat(dir.as_fd(), path.file_name()) {
            Err(Errno::NOENT) => {}
            Ok(stat) if sys::is_dir(&stat) => {
                return Err(DeployError::IsADirectory { path: path.clone() });
            }
            Ok(_) => {
                actions[i] = match policy {
                    OverwritePolicy::Skip => Action::Skip,
                    OverwritePolicy::Overwrite => Action::Exchange,
                    OverwritePolicy::Fail => {
                        existing.push(i);
                        Action::Skip
                    }
                }
            }
            Err(e) => return Err(io("inspect", under(root, path.as_str()), e)),
        }
    }
    if !existing.is_empty() {
        existing.sort_unstable();
        return Err(DeployError::AlreadyExists {
            root: root.to_path_buf(),
            paths: existing
                .into_iter()
                .map(|i| entries[i].path().clone())
                .collect(),
        });
    }
    let mut dirs: Vec<&String> = exists
        .iter()
        .filter(|(dir, there)| !**there && !dir.is_empty())
        .map(|(dir, _)| dir)
        .collect();
    dirs.sort_by(|a, b| {
        let depth = |s: &str| s.bytes().filter(|&c| c == b'/').count();
        depth(a).cmp(&depth(b)).then(a.cmp(b))
    });
    Ok(Preflight {
        actions,
        dirs: dirs.into_iter().map(|d| RelPath::from_normal(d)).collect(),
    })
}

/// Whether directory `dir` exists (as a real directory, reached without
/// links); memoised in `exists`, parents first.
fn classify(
    fs: Fs,
    root: &Path,
    root_fd: Option<BorrowedFd<'_>>,
    entry: &RelPath,
    dir: &str,
    exists: &mut HashMap<String, bool>,
) -> Result<bool, DeployError> {
    if let Some(&known) = exists.get(dir) {
        return Ok(known);
    }
    let parent = dir.rsplit_once('/').map_or("", |(p, _)| p);
    let there = match (classify(fs, root, root_fd, entry, parent, exists)?, root_fd) {
        (true, Some(root_fd)) => match fs.open_dir(root_fd, dir) {
            Ok(_) => true,
            Err(Errno::NOENT) => false,
            Err(e) => return Err(dir_error(root_fd, root, entry, dir, e)),
        },
        _ => false,
    };
    exists.insert(dir.to_owned(), there);
    Ok(there)
}

fn dry_run(
    fs: Fs,
    plan: &DeployPlan,
    options: &DeployOptions,
    started: Instant,
) -> Result<DeployReport, DeployError> {
    let root = plan.root();
    let root_fd = match sys::open_root(root) {
        Ok(fd) => Some(fd),
        Err(Errno::NOENT) => None,
        Err(Errno::NOTDIR) => {
            return Err(DeployError::RootNotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) => return Err(io("open the project root", root.to_path_buf(), e)),
    };
    let pre = preflight(
        fs,
        root,
        root_fd.as_ref().map(AsFd::as_fd),
        plan,
        options.overwrite_policy(),
    )?;
    emit_planned(options, &pre);
    let mut report = empty_report(plan, true);
    report.root_created = root_fd.is_none();
    report.dirs_created = pre.dirs;
    for (entry, action) in plan.entries().iter().zip(&pre.actions) {
        let path = entry.path().clone();
        match action {
            Action::Create => report.written.push(path),
            Action::Exchange => report.overwritten.push(path),
            Action::Skip => report.skipped.push(path),
        }
        if *action != Action::Skip {
            report.bytes += entry.contents().len() as u64;
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

fn empty_report(plan: &DeployPlan, dry_run: bool) -> DeployReport {
    DeployReport {
        root: plan.root().to_path_buf(),
        written: Vec::new(),
        overwritten: Vec::new(),
        skipped: Vec::new(),
        dirs_created: Vec::new(),
        root_created: false,
        bytes: 0,
        elapsed: Default::default(),
        dry_run,
        recovered: None,
    }
}

fn emit_planned(options: &DeployOptions, pre: &Preflight) {
    let to_skip = pre.actions.iter().filter(|a| **a == Action::Skip).count();
    options.emit(DeployEvent::Planned {
        files: pre.actions.len(),
        to_place: pre.actions.len() - to_skip,
        to_skip,
        dirs: pre.dirs.len(),
    });
}

/// How one placement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    Written,
    Overwritten,
    Skipped,
}

/// One deploy in progress, holding what rollback needs.
struct Tx<'a> {
    fs: Fs,
    plan: &'a DeployPlan,
    options: &'a DeployOptions,
    root: &'a Path,
    root_fd: OwnedFd,
    lock: Option<Lock>,
    /// Directories from the root upwards that this deploy (or the
    /// interrupted one it recovered) created.
    root_created: usize,
    /// The staging directory.
    stage: Option<OwnedFd>,
    /// Its lane directories, by lane number.
    lanes: Vec<OwnedFd>,
    /// Files placed so far: (lane, slot, inode of our file, path). The
    /// in-memory twin of the journal.
    placed: Vec<(usize, usize, u64, RelPath)>,
    created_dirs: Vec<RelPath>,
    committed: bool,
}

impl Tx<'_> {
    fn state(&self) -> BorrowedFd<'_> {
        // The lock is only taken away by `release`, after which no step runs.
        match &self.lock {
            Some(lock) => lock.fd(),
            None => self.root_fd.as_fd(),
        }
    }

    fn run(&mut self, started: Instant) -> Result<DeployReport, DeployError> {
        let (fs, options, root) = (self.fs, self.options, self.root);
        let root_fd = self.root_fd.as_fd();
        let entries = self.plan.entries();

        let workers = DeployOptions::cleanup_workers();
        let recovered = recover_locked(fs, root_fd, root, self.state(), workers)?;
        // An interrupted deploy that created the root hands that over: if
        // this one fails too, the root goes.
        self.root_created = self.root_created.max(recovered.root_dirs_created);
        if !recovered.is_clean() {
            options.emit(DeployEvent::Recovered(&recovered));
        }
        if self.root_created > 0 {
            // Recorded before anything else is written, so that a crash from
            // here on still removes the root this deploy created. (A crash
            // between creating the root and this point leaves it, empty but
            // for the state directory.)
            self.write_journal(&Journal {
                root_created: self.root_created,
                ..Journal::default()
            })?;
        }
        failpoint!(options, Step::AfterLock);

        let pre = preflight(
            fs,
            root,
            Some(root_fd),
            self.plan,
            options.overwrite_policy(),
        )?;
        emit_planned(options, &pre);
        let durability = options.durability_mode();
        let per_file = durability == Durability::PerFile;

        // Stage.
        let state = self.state();
        sys::mkdir(state, STAGING, 0o700)
            .map_err(|e| io("create directory", state_path(root, STAGING), e))?;
        let stage = fs
            .open_dir(state, STAGING)
            .map_err(|e| io("open", state_path(root, STAGING), e))?;
        let to_stage: Vec<usize> = (0..entries.len())
            .filter(|&i| pre.actions[i] != Action::Skip)
            .collect();
        let lanes = options.effective_workers(to_stage.len());
        for lane in 0..lanes {
            let name = lane_name(lane);
            let made = match lane {
                0 => Ok(()),
                _ => sys::mkdir(stage.as_fd(), &name, 0o700),
            }
            .and_then(|()| open_lane(fs, stage.as_fd(), lane));
            match made {
                Ok(fd) => self.lanes.push(fd),
                Err(e) => {
                    self.stage = Some(stage);
                    return Err(io(
                        "create directory",
                        state_path(root, STAGING).join(name),
                        e,
                    ));
                }
            }
        }
        self.stage = Some(stage);
        // Entry `to_stage[k]` goes to lane `k % lanes`.
        let inos = stage_files(self.plan, options, root, &self.lanes, &to_stage, per_file)?;

        // Journal, then the one barrier of batch mode: staged data and
        // journal reach the disk before the first rename.
        let files: Vec<JournalFile> = to_stage
            .iter()
            .zip(&inos)
            .enumerate()
            .map(|(k, (&index, &ino))| JournalFile {
                lane: k % lanes,
                index,
                ino,
                path: entries[index].path().clone(),
            })
            .collect();
        self.write_journal(&Journal {
            root_created: self.root_created,
            dirs: pre.dirs.clone(),
            files,
        })?;
        if durability == Durability::Batch {
            sys::syncfs(root_fd).map_err(|e| io("flush the file system of", root.into(), e))?;
        }
        failpoint!(options, Step::AfterJournal);

        // Directories, parents first, each recorded for rollback.
        let mut touched: BTreeSet<&str> = BTreeSet::new();
        for (k, dir) in pre.dirs.iter().enumerate() {
            let _created = k + 1;
            let parent = dir.parent_str();
            let parent_fd = fs
                .open_dir(root_fd, parent)
                .map_err(|e| dir_error(root_fd, root, dir, parent, e))?;
            match sys::mkdir(parent_fd.as_fd(), dir.file_name(), 0o755) {
                Ok(()) => self.created_dirs.push(dir.clone()),
                // Someone else made it meanwhile: use it, but it is not ours
                // to remove.
                Err(Errno::EXIST) => {
                    fs.open_dir(root_fd, dir.as_str())
                        .map_err(|e| dir_error(root_fd, root, dir, dir.as_str(), e))?;
                }
                Err(e) => return Err(io("create directory", under(root, dir.as_str()), e)),
            }
            touched.insert(parent);
            failpoint!(options, Step::AfterDirCreated(_created));
        }

        // Place, one directory handle per parent.
        let mut report = empty_report(self.plan, false);
        let mut outcomes: Vec<(usize, Placed)> = Vec::with_capacity(to_stage.len());
        let mut order: Vec<(usize, usize, u64)> = to_stage
            .iter()
            .zip(inos)
            .enumerate()
            .map(|(k, (&index, ino))| (index, k % lanes, ino))
            .collect();
        order.sort_by(|a, b| {
            let (pa, pb) = (
                entries[a.0].path().parent_str(),
                entries[b.0].path().parent_str(),
            );
            pa.cmp(pb).then(a.0.cmp(&b.0))
        });
        let total = order.len();
        let mut current: Option<(&str, OwnedFd)> = None;
        for (done, &(index, lane, ino)) in order.iter().enumerate() {
            let path = entries[index].path();
            let parent = path.parent_str();
            if current.as_ref().map(|c| c.0) != Some(parent) {
                let fd = fs
                    .open_dir(root_fd, parent)
                    .map_err(|e| dir_error(root_fd, root, path, parent, e))?;
                current = Some((parent, fd));
                touched.insert(parent);
            }
            let Some((_, dir)) = &current else { continue };
            let placed = self.place(lane, index, pre.actions[index], dir.as_fd(), path)?;
            if placed != Placed::Skipped {
                self.placed.push((lane, index, ino, path.clone()));
            }
            outcomes.push((index, placed));
            options.emit(DeployEvent::Placed {
                done: done + 1,
                total,
                path,
            });
            failpoint!(options, Step::AfterPlaced(done + 1));
        }
        drop(current);

        // Make the renames durable before the commit.
        match durability {
            Durability::None => {}
            Durability::Batch => {
                sys::syncfs(root_fd).map_err(|e| io("flush the file system of", root.into(), e))?
            }
            Durability::PerFile => {
                for dir in &touched {
                    let fd = fs
                        .open_dir(root_fd, dir)
                        .map_err(|e| io("open directory", under(root, dir), e))?;
                    sys::fsync(&fd).map_err(|e| io("flush directory", under(root, dir), e))?;
                }
            }
        }
        failpoint!(options, Step::AfterDirSync);
        failpoint!(options, Step::BeforeCommit);

        // The commit point.
        sys::unlink(self.state(), JOURNAL)
            .map_err(|e| io("remove", state_path(root, JOURNAL), e))?;
        self.committed = true;
        if durability != Durability::None {
            // An error here cannot be undone any more; the files are in
            // place, and at worst a power loss brings the journal back and
            // recovery rolls back.
            let _ = sys::fsync(self.state());
        }
        options.emit(DeployEvent::Committed);
        failpoint!(options, Step::AfterCommit);

        // Leftovers: backups and skipped slots. Failing to remove them does
        // not make the deploy fail: the next deploy or recover removes them.
        self.lanes.clear();
        if let Some(stage) = self.stage.take()
            && clear_staging(fs, stage.as_fd(), workers).is_ok()
        {
            let _ = sys::rmdir(self.state(), STAGING);
        }
        if let Some(lock) = self.lock.take() {
            lock.release(root_fd, true);
        }

        outcomes.sort_unstable_by_key(|o| o.0);
        let mut skipped = vec![false; entries.len()];
        for (i, action) in pre.actions.iter().enumerate() {
            skipped[i] = *action == Action::Skip;
        }
        for (index, placed) in outcomes {
            let path = entries[index].path().clone();
            match placed {
                Placed::Written => report.written.push(path),
                Placed::Overwritten => report.overwritten.push(path),
                Placed::Skipped => skipped[index] = true,
            }
            if placed != Placed::Skipped {
                report.bytes += entries[index].contents().len() as u64;
            }
        }
        report.skipped = (0..entries.len())
            .filter(|&i| skipped[i])
            .map(|i| entries[i].path().clone())
            .collect();
        report.dirs_created = std::mem::take(&mut self.created_dirs);
        report.root_created = self.root_created > 0;
        report.recovered = (!recovered.is_clean()).then_some(recovered);
        report.elapsed = started.elapsed();
        Ok(report)
    }

    /// Put entry `index` in place. The staged file is never copied: it is
    /// renamed, so the target holds the old or the new file at every moment.
    fn place(
        &self,
        lane: usize,
        index: usize,
        action: Action,
        dir: BorrowedFd<'_>,
        path: &RelPath,
    ) -> Result<Placed, DeployError> {
        let (fs, root) = (self.fs, self.root);
        let Some(stage) = self.lanes.get(lane) else {
            return Err(io("open", state_path(root, STAGING), Errno::BADF));
        };
        let stage = stage.as_fd();
        let slot = index.to_string();
        let name = path.file_name();
        let target = || under(root, path.as_str());
        if action == Action::Create {
            match fs.place_new(stage, &slot, dir, name) {
                Ok(()) => return Ok(Placed::Written),
                // Something appeared since preflight. Let the policy decide,
                // as it would have had it been there before.
                Err(Errno::EXIST) => match self.options.overwrite_policy() {
                    OverwritePolicy::Skip => return Ok(Placed::Skipped),
                    OverwritePolicy::Overwrite => {}
                    OverwritePolicy::Fail => {
                        return Err(DeployError::AlreadyExists {
                            root: root.to_path_buf(),
                            paths: vec![path.clone()],
                        });
                    }
                },
                Err(e) => return Err(io("place", target(), e)),
            }
        }
        let backup = format!("{index}.old");
        match fs.place_exchange(stage, &slot, &backup, dir, name) {
            Ok(()) => {}
            // The old file vanished since preflight: nothing to replace.
            Err(Errno::NOENT) => {
                return match fs.place_new(stage, &slot, dir, name) {
                    Ok(()) => Ok(Placed::Written),
                    Err(e) => Err(io("place", target(), e)),
                };
            }
            Err(Errno::PERM | Errno::ISDIR) => {
                return Err(DeployError::IsADirectory { path: path.clone() });
            }
            Err(e) => return Err(io("replace", target(), e)),
        }
        // A directory swapped in since preflight would now sit in the
        // staging area: swap it straight back and refuse.
        if let Ok(stat) = sys::lstat(stage, &slot)
            && sys::is_dir(&stat)
        {
            fs.place_exchange(stage, &slot, &backup, dir, name)
                .map_err(|e| io("restore", target(), e))?;
            return Err(DeployError::IsADirectory { path: path.clone() });
        }
        Ok(Placed::Overwritten)
    }

    fn write_journal(&self, journal: &Journal) -> Result<(), DeployError> {
        let state = self.state();
        let per_file = self.options.durability_mode() == Durability::PerFile;
        sys::write_replace(state, JOURNAL_TMP, journal.encode().as_bytes(), per_file).map_err(
            |e| DeployError::io("write the journal", state_path(self.root, JOURNAL_TMP), e),
        )?;
        // Renamed into place, so a journal is never seen half-written.
        sys::rename(state, JOURNAL_TMP, JOURNAL)
            .map_err(|e| io("write the journal", state_path(self.root, JOURNAL), e))?;
        if per_file {
            sys::fsync(state).map_err(|e| io("flush", self.root.join(STATE_DIR), e))?;
            // The state directory may be new: its own entry must last too.
            sys::fsync(self.root_fd.as_fd())
                .map_err(|e| io("flush", self.root.to_path_buf(), e))?;
        }
        Ok(())
    }

    /// Undo everything done so far, newest first, and remove the leftovers.
    /// Returns the error to report: `cause` if the tree is as before.
    fn roll_back(&mut self, cause: DeployError) -> DeployError {
        let (fs, root) = (self.fs, self.root);
        let root_fd = self.root_fd.as_fd();
        let mut failures = Vec::new();
        for (lane, index, ino, path) in self.placed.iter().rev() {
            let stage = self.lanes.get(*lane).map(AsFd::as_fd);
            if let Err(failure) = undo_file(fs, root_fd, stage, *index, *ino, path) {
                failures.push(failure);
            }
        }
        for dir in self.created_dirs.iter().rev() {
            if let Err(failure) = remove_created_dir(fs, root_fd, dir) {
                failures.push(failure);
            }
        }
        let undid = !self.placed.is_empty() || !self.created_dirs.is_empty();
        if failures.is_empty() && undid && self.options.durability_mode() != Durability::None {
            // After a flush error, never retry: report and keep the journal.
            if let Err(e) = sys::syncfs(root_fd) {
                failures.push(format!(
                    "flushing the file system failed: {}",
                    std::io::Error::from(e)
                ));
            }
        }
        if !failures.is_empty() {
            if let Some(lock) = self.lock.take() {
                lock.release(root_fd, false);
            }
            return DeployError::RollbackFailed {
                cause: Box::new(cause),
                failures,
            };
        }
        let workers = DeployOptions::cleanup_workers();
        self.lanes.clear();
        if let Some(stage) = self.stage.take()
            && clear_staging(fs, stage.as_fd(), workers).is_ok()
        {
            let _ = sys::rmdir(self.state(), STAGING);
        }
        let _ = sys::unlink(self.state(), JOURNAL_TMP);
        let _ = sys::unlink(self.state(), JOURNAL);
        if let Some(lock) = self.lock.take() {
            lock.release(root_fd, true);
        }
        remove_root_chain(root, self.root_created);
        self.options.emit(DeployEvent::RolledBack);
        cause
    }
}

/// Write every staged file, spread over worker threads. Returns each file's
/// inode number, in the order of `todo`.
fn stage_files(
    plan: &DeployPlan,
    options: &DeployOptions,
    root: &Path,
    lanes: &[OwnedFd],
    todo: &[usize],
    sync: bool,
) -> Result<Vec<u64>, DeployError> {
    let entries = plan.entries();
    let workers = lanes.len().max(1);
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let total = todo.len();
    let work = |worker: usize| -> Result<Vec<(usize, u64)>, DeployError> {
        let Some(stage) = lanes.get(worker).map(AsFd::as_fd) else {
            return Err(io("stage files in", root.join(STATE_DIR), Errno::BADF));
        };
        let mut inos = Vec::with_capacity(total / workers + 1);
        for (k, &index) in todo.iter().enumerate().skip(worker).step_by(workers) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let entry = &entries[index];
            let ino = sys::write_new(
                stage,
                &index.to_string(),
                entry.contents(),
                entry.effective_mode(),
                sync,
            )
            .map_err(|e| {
                stop.store(true, Ordering::Relaxed);
                DeployError::io("stage a copy of", under(root, entry.path().as_str()), e)
            })?;
            inos.push((k, ino));
            let _n = done.fetch_add(1, Ordering::Relaxed) + 1;
            options.emit(DeployEvent::Staged { done: _n, total });
            #[cfg(feature = "failpoints")]
            fire(options, Step::AfterStaged(_n))
                .inspect_err(|_| stop.store(true, Ordering::Relaxed))?;
        }
        Ok(inos)
    };
    let results: Vec<Result<Vec<(usize, u64)>, DeployError>> = if workers == 1 {
        vec![work(0)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|w| scope.spawn(move || work(w))).collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(io("stage files in", root.join(STATE_DIR), Errno::IO))
                    })
                })
                .collect()
        })
    };
    let mut inos = vec![0u64; total];
    let mut first_error = None;
    for result in results {
        match result {
            Ok(list) => {
                for (k, ino) in list {
                    inos[k] = ino;
                }
            }
            // Prefer a simulated crash over the errors it caused elsewhere.
            Err(e) if first_error.is_none() || crashed(&e) => first_error = Some(e),
            Err(_) => {}
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(inos),
    }
}

/// Remove every entry of the staging directory, in parallel: unlink is slow
/// single-threaded on this machine's file system.
fn clear_dir(dir: BorrowedFd<'_>, workers: usize) -> Result<(), Errno> {
    let names = sys::list(dir)?;
    let workers = workers.min(names.len().div_ceil(64)).max(1);
    if workers == 1 {
        for name in &names {
            sys::unlink_c(dir, name)?;
        }
        return Ok(());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(names.len().div_ceil(workers))
            .map(|chunk| {
                scope.spawn(move || -> Result<(), Errno> {
                    for name in chunk {
                        sys::unlink_c(dir, name)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or(Err(Errno::IO)))
    })
}

/// Remove the staging directory's contents: lane directories are emptied
/// and removed, everything else (lane 0's slots) is unlinked, never
/// followed; in parallel.
fn clear_staging(fs: Fs, stage: BorrowedFd<'_>, workers: usize) -> Result<(), Errno> {
    for name in sys::list(stage)? {
        let Some(text) = name.to_str().ok().filter(|n| n.starts_with("lane")) else {
            continue;
        };
        match fs.open_dir(stage, text) {
            Ok(lane) => {
                clear_dir(lane.as_fd(), workers)?;
                sys::rmdir(stage, text)?;
            }
            Err(Errno::LOOP | Errno::NOTDIR) => {}
            Err(e) => return Err(e),
        }
    }
    clear_dir(stage, workers)
}

enum Undone {
    Restored,
    Removed,
}

/// Undo the placement of one file, if it is still ours (identified by the
/// inode number of the staged file): put the old file back if the staging
/// area holds it, else remove ours. A path that holds someone else's file
/// is left alone.
fn undo_file(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    stage: Option<BorrowedFd<'_>>,
    index: usize,
    ino: u64,
    path: &RelPath,
) -> Result<Option<Undone>, String> {
    let failed = |what: &str, e: Errno| format!("`{path}`: {what} ({})", std::io::Error::from(e));
    let dir = match fs.open_dir(root_fd, path.parent_str()) {
        Ok(dir) => dir,
        // The directory is gone, or another process moved it away and put a
        // link or a file in its place: our file is no longer at its path,
        // and reaching it would mean following that link.
        Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => return Ok(None),
        Err(e) => return Err(failed("cannot open its directory", e)),
    };
    let name = path.file_name();
    match sys::lstat(dir.as_fd(), name) {
        Ok(stat) if stat.st_ino == ino => {}
        Ok(_) | Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(failed("cannot inspect it", e)),
    }
    if let Some(stage) = stage {
        let backup = format!("{index}.old");
        let slot = index.to_string();
        let from = if sys::lstat(stage, &backup).is_ok() {
            Some(backup)
        } else {
            match sys::lstat(stage, &slot) {
                Ok(stat) if stat.st_ino != ino => Some(slot),
                _ => None,
            }
        };
        if let Some(from) = from {
            fs.restore(stage, &from, dir.as_fd(), name)
                .map_err(|e| failed("cannot put the old file back", e))?;
            return Ok(Some(Undone::Restored));
        }
    }
    sys::unlink(dir.as_fd(), name).map_err(|e| failed("cannot remove it", e))?;
    Ok(Some(Undone::Removed))
}

/// Remove a directory the deploy created, if it is still an empty
/// directory. Returns whether it was removed.
fn remove_created_dir(fs: Fs, root_fd: BorrowedFd<'_>, dir: &RelPath) -> Result<bool, String> {
    let parent = match fs.open_dir(root_fd, dir.parent_str()) {
        Ok(fd) => fd,
        // As in `undo_file`: moved out of reach by someone else.
        Err(Errno::NOENT | Errno::LOOP | Errno::NOTDIR) => return Ok(false),
        Err(e) => {
            return Err(format!(
                "`{dir}`: cannot open its parent ({})",
                std::io::Error::from(e)
            ));
        }
    };
    match sys::rmdir(parent.as_fd(), dir.file_name()) {
        Ok(()) => Ok(true),
        // Gone, or holding someone else's files, or replaced by a file or
        // link: not ours to remove.
        Err(Errno::NOENT | Errno::NOTEMPTY | Errno::EXIST | Errno::NOTDIR) => Ok(false),
        Err(e) => Err(format!(
            "`{dir}`: cannot remove the directory ({})",
            std::io::Error::from(e)
        )),
    }
}

/// Recovery with the lock held: roll back a deploy that left a journal,
/// then remove any staging area.
fn recover_locked(
    fs: Fs,
    root_fd: BorrowedFd<'_>,
    root: &Path,
    state: BorrowedFd<'_>,
    workers: usize,
) -> Result<RecoveryReport, DeployError> {
    let mut report = RecoveryReport::default();
    let journal = match sys::read_file(state, JOURNAL) {
        Ok(bytes) => Some(
            Journal::decode(&bytes).map_err(|reason| DeployError::Journal {
                path: state_path(root, JOURNAL),
                reason,
            })?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(DeployError::io("read", state_path(root, JOURNAL), e)),
    };
    // A temporary journal was never renamed: nothing was placed after it.
    let _ = sys::unlink(state, JOURNAL_TMP);
    let stage = match fs.open_dir(state, STAGING) {
        Ok(fd) => Some(fd),
        Err(Errno::NOENT) => None,
        Err(Errno::LOOP | Errno::NOTDIR) => {
            return Err(DeployError::StateDir {
                path: state_path(root, STAGING),
            });
        }
        Err(e) => return Err(io("open", state_path(root, STAGING), e)),
    };
    if let Some(journal) = &journal {
        report.rolled_back = true;
        report.root_dirs_created = journal.root_created;
        let mut failures = Vec::new();
        let mut lanes: HashMap<usize, Option<OwnedFd>> = HashMap::new();
        for file in journal.files.iter().rev() {
            let lane = lanes.entry(file.lane).or_insert_with(|| {
                let stage = stage.as_ref()?;
                open_lane(fs, stage.as_fd(), file.lane).ok()
            });
            let lane = lane.as_ref().map(AsFd::as_fd);
            match undo_file(fs, root_fd, lane, file.index, file.ino, &file.path) {
                Ok(Some(Undone::Restored)) => report.restored.push(file.path.clone()),
                Ok(Some(Undone::Removed)) => report.removed.push(file.path.clone()),
                Ok(None) => {}
                Err(failure) => failures.push(failure),
            }
        }
        for dir in journal.dirs.iter().rev() {
            match remove_created_dir(fs, root_fd, dir) {
                Ok(true) => report.dirs_removed.push(dir.clone()),
                Ok(false) => {}
                Err(failure) => failures.push(failure),
            }
        }
        if !failures.is_empty() {
            return Err(DeployError::RecoveryFailed {
                root: root.to_path_buf(),
                failures,
            });
        }
        report.restored.reverse();
        report.removed.reverse();
        report.dirs_removed.reverse();
        // The undo must be on disk before the journal that describes it goes.
        sys::syncfs(root_fd).map_err(|e| io("flush the file system of", root.into(), e))?;
    }
    if let Some(stage) = stage {
        clear_staging(fs, stage.as_fd(), workers)
            .map_err(|e| io("clear", state_path(root, STAGING), e))?;
        sys::rmdir(state, STAGING).map_err(|e| io("remove", state_path(root, STAGING), e))?;
        report.staging_removed = true;
    }
    if journal.is_some() {
        sys::unlink(state, JOURNAL).map_err(|e| io("remove", state_path(root, JOURNAL), e))?;
        let _ = sys::fsync(state);
    }
    Ok(report)
}
