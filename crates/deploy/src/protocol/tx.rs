//! One deploy in progress, as named steps — recover, stage, journal,
//! mkdirs, place, sync, commit — holding what its rollback needs.
//!
//! Over 600 lines since removal entries and post-commit pruning joined the
//! steps: they share the transaction's state (lanes, the placed and removed
//! lists its rollback walks) with the writes, so they stay beside them.

use crate::sys::{AsFd, BorrowedFd, OwnedFd};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use crate::error::DeployError;
use crate::journal::{self, FileLine, Journal};
#[cfg(feature = "failpoints")]
use crate::options::Step;
use crate::options::{DeployEvent, DeployOptions, Durability, OverwritePolicy};
use crate::path::{RelPath, STATE_DIR};
use crate::plan::{DeployPlan, Expect};
use crate::report::{DeployReport, RecoveryReport};
use crate::sys::{self, Errno, Fs};

use super::fail::{dir_error, failpoint, io, under};
use super::lock::Lock;
use super::preflight::{Action, Preflight, changed, emit_planned, holds, preflight};
use super::root;
use super::stage::{clear_staging, open_lanes, stage_files};
use super::state::{COMMITTED, JOURNAL, JOURNAL_TMP, STAGING, state_path};
use super::subtree::{self, Tree, TreePlaced, split, stage_trees};
use super::undo::{prune_dirs, recover_locked, undo_all, undo_removals};

/// How one placement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    Written,
    Overwritten,
    Skipped,
    Removed,
}

/// What the stage step produced: which entries were staged, and where.
struct Staged {
    /// Plan indices of the entries staged flat, to be placed one by one.
    to_stage: Vec<usize>,
    /// The inode number of each staged file, in the order of `to_stage`.
    inos: Vec<u64>,
    /// Entry `to_stage[k]` is in lane `k % lanes`.
    lanes: usize,
    /// The new subtrees, staged whole (their files are in none of the
    /// above), each to be placed with one rename.
    trees: Vec<Tree>,
}

impl Staged {
    /// How many files will be placed, subtrees included.
    fn files(&self) -> usize {
        self.to_stage.len() + self.trees.iter().map(|t| t.files.len()).sum::<usize>()
    }
}

/// One deploy in progress, holding what rollback needs.
pub(super) struct Tx<'a> {
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
    /// Files placed so far: (lane, slot = plan index, inode of our file);
    /// the path is the plan entry's. The in-memory twin of the journal.
    placed: Vec<(usize, usize, u64)>,
    /// Files removed so far: (slot, inode of the removed file, path); each
    /// sits in lane 0 as `<slot>.old` until the commit.
    removed: Vec<(usize, u64, RelPath)>,
    created_dirs: Vec<RelPath>,
    /// Directories put in place so far (created, or renamed in with a
    /// subtree), for the failpoints' count.
    dirs_done: usize,
    /// Files placed so far (subtrees included), for the events.
    placed_done: usize,
    /// Directories to prune after the commit (journaled), deepest first.
    prune: Vec<RelPath>,
    /// Directories pruned after the commit.
    pruned: Vec<RelPath>,
    committed: bool,
}

impl<'a> Tx<'a> {
    pub(super) fn new(
        fs: Fs,
        plan: &'a DeployPlan,
        options: &'a DeployOptions,
        root_fd: OwnedFd,
        lock: Lock,
        root_created: usize,
    ) -> Tx<'a> {
        Tx {
            fs,
            plan,
            options,
            root: plan.root(),
            root_fd,
            lock: Some(lock),
            root_created,
            stage: None,
            lanes: Vec::new(),
            placed: Vec::new(),
            removed: Vec::new(),
            created_dirs: Vec::new(),
            dirs_done: 0,
            placed_done: 0,
            prune: Vec::new(),
            pruned: Vec::new(),
            committed: false,
        }
    }

    /// Whether the commit point was passed (nothing to undo any more).
    pub(super) fn committed(&self) -> bool {
        self.committed
    }

    fn state(&self) -> BorrowedFd<'_> {
        // The lock is only taken away by `release`, after which no step runs.
        match &self.lock {
            Some(lock) => lock.fd(),
            None => self.root_fd.as_fd(),
        }
    }

    /// The whole deploy, with the lock held. On error the caller rolls back
    /// (unless the error is a simulated crash or came after the commit).
    pub(super) fn run(&mut self, started: Instant) -> Result<DeployReport, DeployError> {
        let recovered = self.recover_first()?;
        let pre = preflight(
            self.fs,
            self.root,
            Some(self.root_fd.as_fd()),
            self.plan,
            self.options.overwrite_policy(),
        )?;
        emit_planned(self.options, &pre);
        let staged = self.stage(&pre)?;
        self.journal(&pre, &staged)?;
        let mut touched: BTreeSet<&str> = BTreeSet::new();
        // Directories outside every subtree (none while subtrees are in
        // use; all of them when they are not) are made one by one.
        let in_trees: BTreeSet<usize> = staged.trees.iter().flat_map(|t| t.dirs.clone()).collect();
        let first: Vec<&RelPath> = (0..pre.dirs.len())
            .filter(|d| !in_trees.contains(d))
            .map(|d| &pre.dirs[d])
            .collect();
        self.mkdirs(&first, &mut touched)?;
        // Files into existing directories first, then the subtrees, then
        // what of them had to be flattened, then the removals.
        let flat = staged
            .to_stage
            .iter()
            .zip(&staged.inos)
            .enumerate()
            .map(|(k, (&index, &ino))| (index, k % staged.lanes, ino))
            .collect();
        let mut outcomes = self.place_all(&pre, &staged, flat, false, &mut touched)?;
        let trees = self.place_trees(&pre, &staged, &mut touched)?;
        outcomes.extend(trees.outcomes);
        self.mkdirs(&trees.to_make, &mut touched)?;
        let flattened = trees
            .flattened
            .iter()
            .map(|&(i, ino)| (i, 0, ino))
            .collect();
        outcomes.extend(self.place_all(&pre, &staged, flattened, true, &mut touched)?);
        self.sync(&touched)?;
        self.commit()?;
        let mut report = self.report(&pre, outcomes, recovered, started);
        report.dirs_removed = std::mem::take(&mut self.pruned);
        Ok(report)
    }

    /// Recover any interrupted earlier deploy, and record a root this
    /// deploy created before anything else is written.
    fn recover_first(&mut self) -> Result<RecoveryReport, DeployError> {
        let workers = DeployOptions::cleanup_workers();
        let recovered = recover_locked(
            self.fs,
            self.root_fd.as_fd(),
            self.root,
            self.state(),
            workers,
        )?;
        // An interrupted deploy that created the root hands that over: if
        // this one fails too, the root goes.
        self.root_created = self.root_created.max(recovered.root_dirs_created);
        if !recovered.is_clean() {
            self.options.emit(DeployEvent::Recovered(&recovered));
        }
        if self.root_created > 0 {
            // Recorded before anything else is written, so that a crash from
            // here on still removes the root this deploy created. (A crash
            // between creating the root and this point leaves it, empty but
            // for the state directory.)
            self.write_journal(
                &Journal {
                    root_created: self.root_created,
                    ..Journal::default()
                }
                .encode(),
            )?;
        }
        failpoint!(self.options, Step::AfterLock);
        Ok(recovered)
    }

    /// Stage: write every file that will be placed into the staging area.
    fn stage(&mut self, pre: &Preflight) -> Result<Staged, DeployError> {
        let (fs, root) = (self.fs, self.root);
        let state = self.state();
        sys::mkdir(state, STAGING, 0o700)
            .map_err(|e| io("create directory", state_path(root, STAGING), e))?;
        let stage = fs
            .open_dir(state, STAGING)
            .map_err(|e| io("open", state_path(root, STAGING), e))?;
        let entries = self.plan.entries();
        let to_stage: Vec<usize> = (0..entries.len())
            .filter(|&i| matches!(pre.actions[i], Action::Create | Action::Exchange))
            .collect();
        let total = to_stage.len();
        let (to_stage, mut trees) = if fs.moves_dirs_no_replace() {
            split(self.plan, pre, &to_stage)
        } else {
            (to_stage, Vec::new())
        };
        let files_in_trees = trees.iter().map(|t| t.files.len()).sum();
        let workers = self.options.tree_workers(files_in_trees);
        let lanes = self.options.effective_workers(to_stage.len());
        let made = open_lanes(fs, root, stage.as_fd(), lanes, &mut self.lanes);
        // Kept whatever happened, so that rollback clears it.
        self.stage = Some(stage);
        made?;
        let per_file = self.options.durability_mode() == Durability::PerFile;
        let done = AtomicUsize::new(0);
        if let Some(lane0) = self.lanes.first() {
            stage_trees(
                fs,
                self.plan,
                self.options,
                pre,
                lane0.as_fd(),
                &mut trees,
                workers,
                per_file,
                &done,
                total,
            )?;
        }
        let inos = stage_files(
            self.plan,
            self.options,
            root,
            &self.lanes,
            &to_stage,
            per_file,
            &done,
            total,
        )?;
        Ok(Staged {
            to_stage,
            inos,
            lanes,
            trees,
        })
    }

    /// Journal, then the one barrier of batch mode: staged data and
    /// journal reach the disk before the first rename.
    fn journal(&mut self, pre: &Preflight, staged: &Staged) -> Result<(), DeployError> {
        let entries = self.plan.entries();
        // Paths borrowed from the plan, not copied into a `Journal`: the
        // text is all that is kept (20,000 lines for 10,000 files and bases).
        let files: Vec<FileLine<'_>> = staged
            .to_stage
            .iter()
            .zip(&staged.inos)
            .enumerate()
            .map(|(k, (&index, &ino))| FileLine {
                lane: k % staged.lanes,
                index,
                ino,
                path: entries[index].path(),
                remove: false,
            })
            // A subtree's files are journaled in lane 0: that is where they
            // go if the subtree has to be placed file by file.
            .chain(staged.trees.iter().flat_map(|tree| {
                tree.files.iter().map(|&(index, ino)| FileLine {
                    lane: 0,
                    index,
                    ino,
                    path: entries[index].path(),
                    remove: false,
                })
            }))
            .chain(removals(pre).map(|index| FileLine {
                lane: 0,
                index,
                ino: pre.inos[index],
                path: entries[index].path(),
                remove: true,
            }))
            .collect();
        self.prune = prune_candidates(self.plan, pre);
        let text = journal::encode(self.root_created, &pre.dirs, &files, &self.prune);
        drop(files);
        self.write_journal(&text)?;
        if self.options.durability_mode() == Durability::Batch {
            sys::syncfs(self.root_fd.as_fd())
                .map_err(|e| io("flush the file system of", self.root.into(), e))?;
        }
        failpoint!(self.options, Step::AfterJournal);
        Ok(())
    }

    /// Place each new subtree with one rename (its directories and files
    /// recorded for rollback as if made one by one). A subtree that cannot
    /// be renamed into place is flattened: its files join the flat
    /// placement (from lane 0) and its directories the mkdirs step.
    fn place_trees<'p>(
        &mut self,
        pre: &'p Preflight,
        staged: &'p Staged,
        touched: &mut BTreeSet<&'p str>,
    ) -> Result<TreesPlaced<'p>, DeployError> {
        let (fs, root) = (self.fs, self.root);
        let entries = self.plan.entries();
        let mut out = TreesPlaced::default();
        let total = staged.files() + removals(pre).count();
        for tree in &staged.trees {
            let Some(stage) = self.lanes.first() else {
                return Err(io("open", state_path(root, STAGING), Errno::BADF));
            };
            let stage = stage.as_fd();
            let root_fd = self.root_fd.as_fd();
            let parent = tree.top.parent_str();
            let parent_fd = fs
                .open_dir(root_fd, parent)
                .map_err(|e| dir_error(root_fd, root, &tree.top, parent, e))?;
            match subtree::place(fs, root, stage, parent_fd.as_fd(), tree)? {
                TreePlaced::Whole => {}
                TreePlaced::Refused => {
                    subtree::flatten(fs, self.plan, stage, tree)?;
                    out.flattened.extend(tree.files.iter().copied());
                    out.to_make.extend(tree.dirs.iter().map(|&d| &pre.dirs[d]));
                    continue;
                }
            }
            touched.insert(parent);
            // Rollback undoes a placed subtree as it undoes placed files and
            // created directories: children first, by inode.
            for &(index, ino) in &tree.files {
                self.placed.push((0, index, ino));
            }
            self.created_dirs
                .extend(tree.dirs.iter().map(|&d| pre.dirs[d].clone()));
            for _ in &tree.dirs {
                self.dirs_done += 1;
                failpoint!(self.options, Step::AfterDirCreated(self.dirs_done));
            }
            for &(index, _) in &tree.files {
                self.placed_done += 1;
                let path = entries[index].path();
                out.outcomes.push((index, Placed::Written));
                self.options.emit(DeployEvent::Placed {
                    done: self.placed_done,
                    total,
                    path,
                });
                failpoint!(self.options, Step::AfterPlaced(self.placed_done));
            }
        }
        // Parents first, whichever subtrees were flattened.
        out.to_make
            .sort_by_key(|d| pre.dirs.iter().position(|x| x == *d));
        Ok(out)
    }

    /// Mkdirs: create the missing directories, parents first, each recorded
    /// for rollback; their parents join `touched`.
    fn mkdirs<'p>(
        &mut self,
        dirs: &[&'p RelPath],
        touched: &mut BTreeSet<&'p str>,
    ) -> Result<(), DeployError> {
        let (fs, root) = (self.fs, self.root);
        let root_fd = self.root_fd.as_fd();
        for dir in dirs {
            self.dirs_done += 1;
            let _created = self.dirs_done;
            let parent = dir.parent_str();
            let parent_fd = fs
                .open_dir(root_fd, parent)
                .map_err(|e| dir_error(root_fd, root, dir, parent, e))?;
            let mode = self.plan.dir_mode();
            match sys::mkdir(parent_fd.as_fd(), dir.file_name(), mode) {
                Ok(()) => {
                    self.created_dirs.push((*dir).clone());
                    // The umask is not applied: a deployed tree is the same
                    // on every machine.
                    sys::set_dir_mode(parent_fd.as_fd(), dir.file_name(), mode).map_err(|e| {
                        io("set the mode of directory", under(root, dir.as_str()), e)
                    })?;
                }
                // Someone else made it meanwhile: use it, but it is not ours
                // to remove.
                Err(Errno::EXIST) => {
                    fs.open_dir(root_fd, dir.as_str())
                        .map_err(|e| dir_error(root_fd, root, dir, dir.as_str(), e))?;
                }
                Err(e) => return Err(io("create directory", under(root, dir.as_str()), e)),
            }
            touched.insert(parent);
            failpoint!(self.options, Step::AfterDirCreated(_created));
        }
        Ok(())
    }

    /// Place: rename each staged file of `order` (plan index, lane, inode)
    /// into place, one directory handle per parent; then, `with_removals`,
    /// make the removals. Returns how each placement ended, by plan index.
    fn place_all<'p>(
        &mut self,
        pre: &Preflight,
        staged: &Staged,
        mut order: Vec<(usize, usize, u64)>,
        with_removals: bool,
        touched: &mut BTreeSet<&'p str>,
    ) -> Result<Vec<(usize, Placed)>, DeployError>
    where
        'a: 'p,
    {
        let (fs, root) = (self.fs, self.root);
        let entries: &'a [_] = self.plan.entries();
        let mut outcomes: Vec<(usize, Placed)> = Vec::with_capacity(order.len());
        order.sort_by(|a, b| {
            let (pa, pb) = (
                entries[a.0].path().parent_str(),
                entries[b.0].path().parent_str(),
            );
            pa.cmp(pb).then(a.0.cmp(&b.0))
        });
        let total = staged.files() + removals(pre).count();
        let mut current: Option<(&str, OwnedFd)> = None;
        for &(index, lane, ino) in &order {
            self.placed_done += 1;
            let done = self.placed_done;
            let path = entries[index].path();
            let parent = path.parent_str();
            if current.as_ref().map(|c| c.0) != Some(parent) {
                let root_fd = self.root_fd.as_fd();
                let fd = fs
                    .open_dir(root_fd, parent)
                    .map_err(|e| dir_error(root_fd, root, path, parent, e))?;
                current = Some((parent, fd));
                touched.insert(parent);
            }
            let Some((_, dir)) = &current else { continue };
            let placed = self.place(lane, index, pre.actions[index], dir.as_fd(), path)?;
            if placed != Placed::Skipped {
                self.placed.push((lane, index, ino));
            }
            outcomes.push((index, placed));
            self.options.emit(DeployEvent::Placed { done, total, path });
            failpoint!(self.options, Step::AfterPlaced(done));
        }
        drop(current);
        // Removals after the writes, so that their undo comes first.
        let removing: Vec<usize> = removals(pre).filter(|_| with_removals).collect();
        for index in removing {
            self.placed_done += 1;
            let done = self.placed_done;
            let path = entries[index].path();
            let parent = path.parent_str();
            let root_fd = self.root_fd.as_fd();
            let dir = fs
                .open_dir(root_fd, parent)
                .map_err(|e| dir_error(root_fd, root, path, parent, e))?;
            touched.insert(parent);
            self.remove(index, pre.inos[index], dir.as_fd(), path)?;
            self.removed.push((index, pre.inos[index], path.clone()));
            outcomes.push((index, Placed::Removed));
            self.options.emit(DeployEvent::Placed { done, total, path });
            failpoint!(self.options, Step::AfterPlaced(done));
        }
        Ok(outcomes)
    }

    /// Move the file to remove into lane 0 as its backup, then check it is
    /// still the one preflight saw with the expected content; if not, put
    /// it back and refuse.
    fn remove(
        &self,
        index: usize,
        ino: u64,
        dir: BorrowedFd<'_>,
        path: &RelPath,
    ) -> Result<(), DeployError> {
        let (fs, root) = (self.fs, self.root);
        let Some(stage) = self.lanes.first() else {
            return Err(io("open", state_path(root, STAGING), Errno::BADF));
        };
        let stage = stage.as_fd();
        let backup = format!("{index}.old");
        match fs.place_new(dir, path.file_name(), stage, &backup) {
            Ok(()) => {}
            Err(Errno::NOENT) => return Err(changed(path, "it is gone")),
            Err(e) => return Err(io("remove", under(root, path.as_str()), e)),
        }
        let same = sys::lstat(stage, &backup).is_ok_and(|m| m.ino == ino)
            && match self.plan.entries()[index].expect() {
                Expect::Content(expected) => holds(stage, &backup, expected),
                _ => true,
            };
        if !same {
            fs.place_new(stage, &backup, dir, path.file_name())
                .map_err(|e| io("put back", under(root, path.as_str()), e))?;
            return Err(changed(path, "it was edited since the deploy was planned"));
        }
        Ok(())
    }

    /// Make the renames durable before the commit.
    fn sync(&self, touched: &BTreeSet<&str>) -> Result<(), DeployError> {
        let (fs, root) = (self.fs, self.root);
        let root_fd = self.root_fd.as_fd();
        match self.options.durability_mode() {
            Durability::None => {}
            Durability::Batch => {
                sys::syncfs(root_fd).map_err(|e| io("flush the file system of", root.into(), e))?
            }
            Durability::PerFile => {
                for dir in touched {
                    let fd = fs
                        .open_dir(root_fd, dir)
                        .map_err(|e| io("open directory", under(root, dir), e))?;
                    sys::fsync(&fd).map_err(|e| io("flush directory", under(root, dir), e))?;
                }
            }
        }
        failpoint!(self.options, Step::AfterDirSync);
        failpoint!(self.options, Step::BeforeCommit);
        Ok(())
    }

    /// Commit: remove the journal (the commit point), then the leftovers —
    /// backups and skipped slots — and the lock.
    fn commit(&mut self) -> Result<(), DeployError> {
        let root = self.root;
        if self.prune.is_empty() {
            sys::unlink(self.state(), JOURNAL)
                .map_err(|e| io("remove", state_path(root, JOURNAL), e))?;
        } else {
            // The commit point all the same (no journal any more), but the
            // prune list survives a crash: recovery rolls forward.
            sys::rename(self.state(), JOURNAL, COMMITTED)
                .map_err(|e| io("commit", state_path(root, JOURNAL), e))?;
        }
        self.committed = true;
        if self.options.durability_mode() != Durability::None {
            // An error here cannot be undone any more; the files are in
            // place, and at worst a power loss brings the journal back and
            // recovery rolls back.
            let _ = sys::fsync(self.state());
        }
        self.options.emit(DeployEvent::Committed);
        failpoint!(self.options, Step::AfterCommit);
        // Failing to remove leftovers does not make the deploy fail: the
        // next deploy or recover removes them.
        self.lanes.clear();
        if let Some(stage) = self.stage.take()
            && clear_staging(self.fs, stage.as_fd(), DeployOptions::cleanup_workers()).is_ok()
        {
            let _ = sys::rmdir(self.state(), STAGING);
        }
        // Still under the lock, so no other deploy is creating files in them.
        if !self.prune.is_empty() {
            self.pruned = prune_dirs(self.fs, self.root_fd.as_fd(), &self.prune);
            let _ = sys::unlink(self.state(), COMMITTED);
        }
        if let Some(lock) = self.lock.take() {
            lock.release(self.root_fd.as_fd(), true);
        }
        Ok(())
    }

    /// The report of a committed deploy.
    fn report(
        &mut self,
        pre: &Preflight,
        mut outcomes: Vec<(usize, Placed)>,
        recovered: RecoveryReport,
        started: Instant,
    ) -> DeployReport {
        let entries = self.plan.entries();
        let mut report = DeployReport::empty(self.root.to_path_buf(), false);
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
                Placed::Removed => report.removed.push(path),
            }
            if matches!(placed, Placed::Written | Placed::Overwritten) {
                report.bytes += entries[index].contents().len() as u64;
            }
        }
        report.skipped = (0..entries.len())
            .filter(|&i| skipped[i])
            .map(|i| entries[i].path().clone())
            .collect();
        // In preflight's order (parents first, as a dry run reports them),
        // whichever way each was put in place.
        let created: BTreeSet<&RelPath> = self.created_dirs.iter().collect();
        report.dirs_created = pre
            .dirs
            .iter()
            .filter(|d| created.contains(d))
            .cloned()
            .collect();
        report.root_created = self.root_created > 0;
        report.recovered = (!recovered.is_clean()).then_some(recovered);
        report.elapsed = started.elapsed();
        report
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
        let expect = self.plan.entries()[index].expect();
        if action == Action::Create {
            match fs.place_new(stage, &slot, dir, name) {
                Ok(()) => return Ok(Placed::Written),
                Err(Errno::EXIST) if *expect == Expect::KeepIfExists => return Ok(Placed::Skipped),
                Err(Errno::EXIST) if *expect != Expect::Policy => {
                    return Err(changed(path, "a file appeared there"));
                }
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
            Err(Errno::NOENT) if matches!(expect, Expect::Content(_)) => {
                return Err(changed(path, "it is gone"));
            }
            // The old file vanished since preflight: nothing to replace.
            Err(Errno::NOENT) => {
                return match fs.place_new(stage, &slot, dir, name) {
                    Ok(()) => Ok(Placed::Written),
                    Err(e) => Err(io("place", target(), e)),
                };
            }
            Err(Errno::ISDIR) => return Err(DeployError::IsADirectory { path: path.clone() }),
            // The fallback's `link` of a directory fails with `EPERM`, and
            // so does replacing an immutable file: tell them apart.
            Err(Errno::PERM) => {
                return Err(match sys::lstat(dir, name) {
                    Ok(meta) if meta.is_dir() => DeployError::IsADirectory { path: path.clone() },
                    _ => io("replace", target(), Errno::PERM),
                });
            }
            Err(e) => return Err(io("replace", target(), e)),
        }
        // A directory swapped in since preflight would now sit in the
        // staging area: swap it straight back and refuse.
        if let Ok(meta) = sys::lstat(stage, &slot)
            && meta.is_dir()
        {
            fs.place_exchange(stage, &slot, &backup, dir, name)
                .map_err(|e| io("restore", target(), e))?;
            return Err(DeployError::IsADirectory { path: path.clone() });
        }
        // Compare after the exchange, on the file that was swapped out: an
        // edit made since preflight is caught, and the file put back.
        if let Expect::Content(expected) = expect {
            let old = if sys::lstat(stage, &backup).is_ok() {
                &backup
            } else {
                &slot
            };
            if !holds(stage, old, expected) {
                if old == &backup {
                    fs.restore(stage, &backup, dir, name)
                } else {
                    fs.place_exchange(stage, &slot, &backup, dir, name)
                }
                .map_err(|e| io("restore", target(), e))?;
                return Err(changed(path, "it was edited since the deploy was planned"));
            }
        }
        Ok(Placed::Overwritten)
    }

    /// Write the journal: created fresh under a temporary name, then
    /// renamed over the journal, so it is never seen half-written and never
    /// written through anything someone else put in the state directory.
    /// Writes `bytes` (an encoded journal) as the journal.
    fn write_journal(&self, bytes: &str) -> Result<(), DeployError> {
        let state = self.state();
        let per_file = self.options.durability_mode() == Durability::PerFile;
        let tmp_path = || state_path(self.root, JOURNAL_TMP);
        // Whatever is at the temporary name is not ours (ours never outlive
        // the call that wrote them): remove it, never write through it.
        let mut attempts = 0;
        let ino = loop {
            match sys::write_new(state, JOURNAL_TMP, bytes.as_bytes(), 0o644, per_file) {
                Ok(ino) => break ino,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 8 => {
                    attempts += 1;
                    match sys::unlink(state, JOURNAL_TMP) {
                        Ok(()) | Err(Errno::NOENT) => {}
                        Err(e) => return Err(io("remove", tmp_path(), e)),
                    }
                }
                Err(e) => return Err(DeployError::io("write the journal", tmp_path(), e)),
            }
        };
        // Renamed into place, so a journal is never seen half-written; a
        // rename replaces the name, never writes through what it held.
        sys::rename(state, JOURNAL_TMP, JOURNAL)
            .map_err(|e| io("write the journal", state_path(self.root, JOURNAL), e))?;
        // Someone may have swapped their file in under the temporary name
        // before the rename: then what is now the journal is not ours.
        match sys::lstat(state, JOURNAL) {
            Ok(meta) if meta.ino == ino => {}
            _ => {
                return Err(DeployError::StateTampered {
                    path: state_path(self.root, JOURNAL),
                });
            }
        }
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
    pub(super) fn roll_back(&mut self, cause: DeployError) -> DeployError {
        let (fs, root) = (self.fs, self.root);
        let root_fd = self.root_fd.as_fd();
        let mut failures = undo_removals(fs, root_fd, &self.lanes, &self.removed);
        failures.extend(undo_all(
            fs,
            root_fd,
            &self.lanes,
            self.plan.entries(),
            &self.placed,
            &self.created_dirs,
        ));
        let undid =
            !self.placed.is_empty() || !self.created_dirs.is_empty() || !self.removed.is_empty();
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
        root::remove_created(root, self.root_created);
        self.options.emit(DeployEvent::RolledBack);
        cause
    }
}

/// What placing the subtrees left for the flat steps.
#[derive(Default)]
struct TreesPlaced<'p> {
    /// How each file of a subtree placed whole ended.
    outcomes: Vec<(usize, Placed)>,
    /// Files of flattened subtrees (plan index, inode), now in lane 0.
    flattened: Vec<(usize, u64)>,
    /// Directories to create one by one, parents first.
    to_make: Vec<&'p RelPath>,
}

/// Plan indices of the removal entries, in plan order.
fn removals(pre: &Preflight) -> impl Iterator<Item = usize> + '_ {
    pre.actions
        .iter()
        .enumerate()
        .filter(|(_, a)| **a == Action::Remove)
        .map(|(i, _)| i)
}

/// The parents of the removal entries and all their ancestors below the
/// root, deepest first, when the plan prunes empty directories.
fn prune_candidates(plan: &DeployPlan, pre: &Preflight) -> Vec<RelPath> {
    if !plan.prunes_empty_dirs() {
        return Vec::new();
    }
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for index in removals(pre) {
        let mut p = plan.entries()[index].path().parent_str();
        // The state directory itself is the lock's: it goes when the lock
        // is released, if empty.
        while !p.is_empty() && p != STATE_DIR {
            dirs.insert(p);
            p = p.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }
    let mut dirs: Vec<&str> = dirs.into_iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.bytes().filter(|&b| b == b'/').count()));
    dirs.into_iter().map(RelPath::from_normal).collect()
}
