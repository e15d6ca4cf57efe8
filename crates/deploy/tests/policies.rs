//! Overwrite policies against existing files, links at the leaf,
//! file/directory conflicts and read-only directories; dry runs, modes,
//! reports and progress events.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use common::os::{set_mode, symlink};
use common::*;
use stencil_deploy::{
    DeployError, DeployEvent, DeployOptions, Durability, OverwritePolicy, RelPath, deploy,
};

fn opts(policy: OverwritePolicy) -> DeployOptions {
    DeployOptions::new()
        .overwrite(policy)
        .durability(Durability::None)
}

const ALL: [OverwritePolicy; 3] = [
    OverwritePolicy::Skip,
    OverwritePolicy::Overwrite,
    OverwritePolicy::Fail,
];

#[test]
fn skip_leaves_existing_files_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "keep.md", "mine");
    write(root, "docs/keep2.md", "mine too");
    let plan = plan_of(
        root,
        &[
            ("keep.md", "new"),
            ("docs/keep2.md", "new"),
            ("docs/fresh.md", "new"),
        ],
    );
    let report = deploy(&plan, &opts(OverwritePolicy::Skip)).unwrap();
    assert_eq!(paths(&report.skipped), ["keep.md", "docs/keep2.md"]);
    assert_eq!(paths(&report.written), ["docs/fresh.md"]);
    assert!(report.overwritten.is_empty());
    assert_eq!(report.bytes, 3);
    assert_eq!(read(root, "keep.md"), "mine");
    assert_eq!(read(root, "docs/keep2.md"), "mine too");
    assert_eq!(read(root, "docs/fresh.md"), "new");
    assert!(!root.join(".stencil").exists(), "state left behind");
}

#[test]
fn overwrite_replaces_existing_files_and_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.md", "old");
    set_mode(root.join("a.md"), 0o600).unwrap();
    let plan = plan_of(root, &[("a.md", "new!"), ("b/c.md", "new")]);
    let report = deploy(&plan, &opts(OverwritePolicy::Overwrite)).unwrap();
    assert_eq!(paths(&report.overwritten), ["a.md"]);
    assert_eq!(paths(&report.written), ["b/c.md"]);
    assert_eq!(paths(&report.dirs_created), ["b"]);
    assert_eq!(report.bytes, 7);
    assert_eq!(read(root, "a.md"), "new!");
    assert_eq!(
        mode(root, "a.md"),
        os::file_mode(0o644),
        "the planned mode replaces the old one"
    );
    assert_eq!(snapshot(root).len(), 3);
}

#[test]
fn fail_aborts_before_placing_anything_and_names_every_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "x/one.md", "old");
    write(root, "two.md", "old");
    let before = snapshot(root);
    let plan = plan_of(
        root,
        &[
            ("new.md", "n"),
            ("x/one.md", "n"),
            ("y/z.md", "n"),
            ("two.md", "n"),
        ],
    );
    let err = deploy(&plan, &opts(OverwritePolicy::Fail)).unwrap_err();
    match &err {
        DeployError::AlreadyExists { paths: p, .. } => assert_eq!(paths(p), ["x/one.md", "two.md"]),
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string().contains("2 planned file(s) already exist"),
        "{err}"
    );
    assert_eq!(snapshot(root), before);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn a_link_at_the_leaf_counts_as_existing_and_is_never_followed() {
    for policy in ALL {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside.md");
        std::fs::write(&outside, "secret").unwrap();
        std::fs::create_dir(&root).unwrap();
        symlink(&outside, root.join("live.md")).unwrap();
        symlink(dir.path().join("nowhere"), root.join("dangling.md")).unwrap();
        let before = snapshot(&root);
        let plan = plan_of(&root, &[("live.md", "new"), ("dangling.md", "new")]);
        let result = deploy(&plan, &opts(policy));
        assert_eq!(
            std::fs::read_to_string(&outside).unwrap(),
            "secret",
            "{policy:?}"
        );
        assert!(
            !dir.path().join("nowhere").exists(),
            "{policy:?} followed a dangling link"
        );
        match policy {
            OverwritePolicy::Skip => {
                let report = result.unwrap();
                assert_eq!(paths(&report.skipped), ["live.md", "dangling.md"]);
                assert_eq!(snapshot(&root), before);
            }
            OverwritePolicy::Overwrite => {
                let report = result.unwrap();
                assert_eq!(paths(&report.overwritten), ["live.md", "dangling.md"]);
                // The links themselves were replaced by regular files.
                assert!(
                    std::fs::symlink_metadata(root.join("live.md"))
                        .unwrap()
                        .is_file()
                );
                assert_eq!(read(&root, "dangling.md"), "new");
            }
            OverwritePolicy::Fail => {
                assert!(matches!(result, Err(DeployError::AlreadyExists { .. })));
                assert_eq!(snapshot(&root), before);
            }
            // The enum is `#[non_exhaustive]`: a new policy needs its case here.
            other => panic!("no expectation written for {other:?}"),
        }
    }
}

#[test]
fn a_directory_at_the_leaf_is_an_error_under_every_policy() {
    for policy in ALL {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.md/inner", "x");
        let before = snapshot(root);
        let plan = plan_of(root, &[("z.md", "n"), ("a.md", "n")]);
        let err = deploy(&plan, &opts(policy)).unwrap_err();
        assert!(
            matches!(&err, DeployError::IsADirectory { path } if path.as_str() == "a.md"),
            "{policy:?}: {err:?}"
        );
        assert!(err.to_string().contains("`a.md`"), "{err}");
        assert_eq!(snapshot(root), before, "{policy:?}");
    }
}

#[test]
fn a_file_where_a_directory_is_needed_is_an_error_under_every_policy() {
    for policy in ALL {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "docs", "I am a file");
        let before = snapshot(root);
        let plan = plan_of(root, &[("a.md", "n"), ("docs/deep/x.md", "n")]);
        let err = deploy(&plan, &opts(policy)).unwrap_err();
        match &err {
            DeployError::NotADirectory { path, file } => {
                assert_eq!((path.as_str(), file.as_str()), ("docs/deep/x.md", "docs"))
            }
            other => panic!("{policy:?}: unexpected {other:?}"),
        }
        assert_eq!(snapshot(root), before, "{policy:?}");
    }
}

/// Make `dir` unwritable even for root (who ignores permission bits): the
/// immutable attribute where `chattr` works, mode 0555 otherwise. Unix
/// only: Windows' read-only attribute does not stop files being created in
/// a directory (the Windows failure of the same kind, a file another
/// process holds open, has its own test below).
#[cfg(unix)]
struct ReadOnly(std::path::PathBuf, bool);

#[cfg(unix)]
impl ReadOnly {
    fn new(dir: &Path) -> ReadOnly {
        set_mode(dir, 0o555).unwrap();
        let probe = dir.join(".probe");
        if std::fs::write(&probe, "").is_ok() {
            std::fs::remove_file(&probe).unwrap();
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "running privileged and cannot make {} read-only",
                dir.display()
            );
            return ReadOnly(dir.to_path_buf(), true);
        }
        ReadOnly(dir.to_path_buf(), false)
    }
}

#[cfg(unix)]
impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.1 {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&self.0)
                .status();
        }
        let _ = set_mode(&self.0, 0o755);
    }
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_fails_cleanly_and_changes_nothing() {
    for policy in [OverwritePolicy::Skip, OverwritePolicy::Overwrite] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "open/old.md", "old");
        write(root, "locked/old.md", "old");
        let before = snapshot(root);
        // Sorted by parent, "locked/…" is placed before "open/…"; "new/…"
        // (a new directory) and "a.md" come earlier still, so there is
        // something to roll back when "locked/new.md" fails.
        let plan = plan_of(
            root,
            &[
                ("a.md", "n"),
                ("new/x.md", "n"),
                ("open/old.md", "n"),
                ("locked/new.md", "n"),
            ],
        );
        let guard = ReadOnly::new(&root.join("locked"));
        let err = deploy(&plan, &opts(policy)).unwrap_err();
        drop(guard);
        let text = err.to_string();
        assert!(text.contains("locked/new.md"), "{policy:?}: {text}");
        assert_eq!(snapshot(root), before, "{policy:?}");
    }
}

#[cfg(unix)]
#[test]
fn overwriting_in_a_read_only_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.md", "old");
    write(root, "locked/old.md", "old");
    let before = snapshot(root);
    let plan = plan_of(root, &[("a.md", "n"), ("locked/old.md", "n")]);
    let guard = ReadOnly::new(&root.join("locked"));
    let err = deploy(&plan, &opts(OverwritePolicy::Overwrite)).unwrap_err();
    drop(guard);
    assert!(err.to_string().contains("locked/old.md"), "{err}");
    assert_eq!(snapshot(root), before);
}

/// Unix only: Windows has no permission bits to apply.
#[cfg(unix)]
#[test]
fn modes_are_applied_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut plan = stencil_deploy::DeployPlan::new(root);
    plan.add(
        RelPath::new("bin/run").unwrap(),
        "#!/bin/sh\necho hi\n",
        Some(0o755),
    )
    .unwrap();
    plan.add(RelPath::new("secret").unwrap(), "s", Some(0o600))
        .unwrap();
    plan.add(RelPath::new("plain").unwrap(), "p", None).unwrap();
    // Bits a usual umask (022) would clear are applied all the same.
    plan.add(RelPath::new("shared").unwrap(), "w", Some(0o666))
        .unwrap();
    deploy(&plan, &opts(OverwritePolicy::Fail)).unwrap();
    assert_eq!(mode(root, "shared"), 0o666);
    assert_eq!(mode(root, "bin/run"), 0o755);
    assert_eq!(mode(root, "secret"), 0o600);
    assert_eq!(mode(root, "plain"), 0o644);
    let out = std::process::Command::new(root.join("bin/run"))
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"hi\n");
}

/// Not a test: the body of the child process of
/// `directories_get_their_mode_exactly_under_a_restrictive_umask`, run under
/// `umask 077`. Deploys into a root that does not exist yet (two levels).
#[cfg(unix)] // umask and permission bits
#[test]
#[ignore = "run by directories_get_their_mode_exactly_under_a_restrictive_umask"]
fn umask_child() {
    let Ok(base) = std::env::var("STENCIL_UMASK_BASE") else {
        return;
    };
    let base = Path::new(&base);
    let mut plan = plan_of(
        &base.join("new/root"),
        &[("a/b/c.md", "x"), ("a/d.md", "x"), ("top.md", "x")],
    );
    deploy(&plan, &opts(OverwritePolicy::Fail)).unwrap();
    plan = plan_of(&base.join("custom"), &[("e/f.md", "x")]);
    plan.set_dir_mode(0o750).unwrap();
    deploy(&plan, &opts(OverwritePolicy::Fail)).unwrap();
    println!("RESULT done");
}

#[cfg(unix)] // umask and permission bits
#[test]
fn directories_get_their_mode_exactly_under_a_restrictive_umask() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 077 && exec \"$0\" --exact umask_child --ignored --nocapture --test-threads=1")
        .arg(&exe)
        .env("STENCIL_UMASK_BASE", dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RESULT done"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let base = dir.path();
    use std::os::unix::fs::PermissionsExt;
    let dir_mode = |rel: &str| {
        std::fs::symlink_metadata(base.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    // The root and its missing ancestor, and every directory inside.
    for rel in ["new", "new/root", "new/root/a", "new/root/a/b"] {
        assert_eq!(dir_mode(rel), 0o755, "{rel}");
    }
    for rel in ["custom", "custom/e"] {
        assert_eq!(dir_mode(rel), 0o750, "{rel}");
    }
    // Files were exact already; still are.
    assert_eq!(dir_mode("new/root/a/b/c.md"), 0o644);
    assert!(!base.join("new/root/.stencil").exists());
}

#[test]
fn a_directory_mode_beyond_the_permission_bits_is_refused() {
    let mut plan = stencil_deploy::DeployPlan::new("/nowhere");
    let err = plan.set_dir_mode(0o4755).unwrap_err();
    assert!(err.to_string().contains("0o4755"), "{err}");
    assert_eq!(plan.dir_mode(), stencil_deploy::DEFAULT_DIR_MODE);
}

#[test]
fn dry_run_reports_the_same_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for policy in [OverwritePolicy::Skip, OverwritePolicy::Overwrite] {
        let root = dir.path().join(format!("{policy:?}"));
        write(&root, "a.md", "old");
        let plan = plan_of(&root, &[("a.md", "n"), ("b/c/d.md", "n"), ("b/e.md", "n")]);
        let before = snapshot(&root);
        let dry = deploy(&plan, &opts(policy).dry_run(true)).unwrap();
        assert!(dry.dry_run);
        assert_eq!(snapshot(&root), before);
        let real = deploy(&plan, &opts(policy)).unwrap();
        assert_eq!(
            (
                &dry.written,
                &dry.overwritten,
                &dry.skipped,
                &dry.dirs_created,
                dry.bytes
            ),
            (
                &real.written,
                &real.overwritten,
                &real.skipped,
                &real.dirs_created,
                real.bytes
            ),
            "{policy:?}"
        );
    }
    // Into a root that does not exist yet.
    let root = dir.path().join("not/yet");
    let plan = plan_of(&root, &[("x/y.md", "n")]);
    let dry = deploy(&plan, &opts(OverwritePolicy::Skip).dry_run(true)).unwrap();
    assert!(dry.root_created && !dir.path().join("not").exists());
    assert_eq!(paths(&dry.dirs_created), ["x"]);
}

#[test]
fn a_missing_root_is_created_and_removed_again_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("new/project");
    let plan = plan_of(&root, &[("a.md", "n")]);
    let report = deploy(&plan, &opts(OverwritePolicy::Skip)).unwrap();
    assert!(report.root_created);
    assert_eq!(read(&root, "a.md"), "n");

    let root2 = dir.path().join("other/project");
    let plan = plan_of(&root2, &[("a.md", "n"), ("b.md", "n")]);
    let options = opts(OverwritePolicy::Skip).failpoint(stencil_deploy::Failpoint {
        step: stencil_deploy::Step::AfterPlaced(1),
        action: stencil_deploy::FailAction::Error,
    });
    assert!(deploy(&plan, &options).is_err());
    assert!(
        !dir.path().join("other").exists(),
        "created root left behind"
    );
}

#[test]
fn the_root_must_be_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("file");
    std::fs::write(&root, "x").unwrap();
    let err = deploy(&plan_of(&root, &[("a", "n")]), &DeployOptions::new()).unwrap_err();
    assert!(
        matches!(err, DeployError::RootNotADirectory { .. }),
        "{err:?}"
    );
}

#[test]
fn an_existing_state_directory_with_other_files_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".stencil/catalog.db", "catalog");
    deploy(&plan_of(root, &[("a.md", "n")]), &DeployOptions::new()).unwrap();
    assert_eq!(
        snapshot(&root.join(".stencil"))
            .into_keys()
            .collect::<Vec<_>>(),
        [Path::new("catalog.db")]
    );
}

#[test]
fn events_arrive_in_protocol_order_and_count_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "skip.md", "old");
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = Arc::clone(&log);
    let options = opts(OverwritePolicy::Skip)
        .workers(1)
        .observer(move |e: &DeployEvent<'_>| {
            let line = match e {
                DeployEvent::Planned {
                    files,
                    to_place,
                    to_skip,
                    dirs,
                } => {
                    format!("planned {files} {to_place} {to_skip} {dirs}")
                }
                DeployEvent::Staged { done, total } => format!("staged {done}/{total}"),
                DeployEvent::Placed { done, total, path } => {
                    format!("placed {done}/{total} {path}")
                }
                DeployEvent::Committed => "committed".into(),
                DeployEvent::RolledBack => "rolled back".into(),
                DeployEvent::Recovered(_) => "recovered".into(),
                _ => "other".into(),
            };
            sink.lock().unwrap().push(line);
        });
    let plan = plan_of(root, &[("skip.md", "n"), ("d/a.md", "n"), ("b.md", "n")]);
    deploy(&plan, &options).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "planned 3 2 1 1",
            "staged 1/2",
            "staged 2/2",
            "placed 1/2 b.md",
            "placed 2/2 d/a.md",
            "committed"
        ]
    );
}

#[test]
fn every_durability_mode_gives_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for (k, durability) in [Durability::None, Durability::Batch, Durability::PerFile]
        .into_iter()
        .enumerate()
    {
        let root = dir.path().join(k.to_string());
        write(&root, "d0/sub0/f1.md", "old");
        let plan = spread_plan(&root, 60, 20, "new");
        let options = DeployOptions::new()
            .overwrite(OverwritePolicy::Overwrite)
            .durability(durability)
            .workers(3);
        let report = deploy(&plan, &options).unwrap();
        assert_eq!(report.written.len() + report.overwritten.len(), 60);
        trees.push(snapshot(&root));
    }
    assert_eq!(trees[0], trees[1]);
    assert_eq!(trees[1], trees[2]);
}

#[test]
fn the_portable_fallback_gives_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for portable in [false, true] {
        let root = dir.path().join(portable.to_string());
        write(&root, "d0/sub0/f1.md", "old");
        write(&root, "d1/sub0/f20.md", "old");
        let plan = spread_plan(&root, 45, 20, "new");
        let options = DeployOptions::new()
            .overwrite(OverwritePolicy::Overwrite)
            .force_portable(portable);
        let report = deploy(&plan, &options).unwrap();
        assert_eq!(
            paths(&report.overwritten),
            ["d0/sub0/f1.md", "d1/sub0/f20.md"]
        );
        trees.push(snapshot(&root));
    }
    assert_eq!(trees[0], trees[1]);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine a file another thread is reading cannot be replaced (sharing violation): the held-open case, tested by a_file_held_open_elsewhere_fails_cleanly_and_rolls_back"
)]
fn readers_see_the_old_or_the_new_file_never_a_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let size = 256 * 1024;
    std::fs::write(root.join("big.md"), vec![b'o'; size]).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let reads = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reads = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let bytes = std::fs::read(root.join("big.md")).unwrap();
                let first = bytes[0];
                assert!(
                    bytes.len() == size && bytes.iter().all(|&b| b == first),
                    "a reader saw a mixed or partial file"
                );
                reads += 1;
            }
            reads
        });
        for round in 0..20 {
            let fill = if round % 2 == 0 { b'n' } else { b'o' };
            let mut plan = stencil_deploy::DeployPlan::new(&root);
            plan.add(RelPath::new("big.md").unwrap(), vec![fill; size], None)
                .unwrap();
            deploy(&plan, &opts(OverwritePolicy::Overwrite)).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap()
    });
    assert!(reads > 0);
}

/// Windows: a file another process holds open without delete sharing
/// cannot be replaced. The deploy must fail naming it and leave the tree as
/// it was (the file placed before it rolled back).
#[cfg(windows)]
#[test]
fn a_file_held_open_elsewhere_fails_cleanly_and_rolls_back() {
    use std::os::windows::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "a.md", "old a");
    write(root, "held.md", "old held");
    let before = snapshot(root);
    let _held = std::fs::OpenOptions::new()
        .read(true)
        .share_mode(0)
        .open(root.join("held.md"))
        .unwrap();
    let plan = plan_of(root, &[("a.md", "new a"), ("held.md", "new held")]);
    let err = deploy(&plan, &opts(OverwritePolicy::Overwrite)).unwrap_err();
    assert!(err.to_string().contains("held.md"), "{err}");
    drop(_held);
    assert_eq!(snapshot(root), before);
}
