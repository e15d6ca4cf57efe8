//! The path attack corpus: whatever a plan names and whatever links exist
//! or appear inside the root, nothing is written, created, renamed or
//! removed outside it. Each case checks a sentinel directory beside the root.

mod common;

use std::path::{Path, PathBuf};

use common::os::symlink;
use common::*;
use stencil_deploy::{
    DeployError, DeployEvent, DeployOptions, DeployPlan, Durability, OverwritePolicy, RelPath,
    deploy, recover,
};

/// A root and, beside it, a sentinel directory with a file in it.
struct Arena {
    _dir: tempfile::TempDir,
    root: PathBuf,
    sentinel: PathBuf,
    sentinel_before: Snapshot,
}

impl Arena {
    fn new() -> Arena {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let sentinel = dir.path().join("sentinel");
        std::fs::create_dir(&root).unwrap();
        write(&sentinel, "precious.md", "do not touch");
        write(&sentinel, "sub/x.md", "do not touch");
        let sentinel_before = snapshot(&sentinel);
        Arena {
            _dir: dir,
            root,
            sentinel,
            sentinel_before,
        }
    }

    /// Nothing outside the root changed: not the sentinel, and nothing new
    /// beside the root.
    fn check(&self, case: &str) {
        assert_eq!(
            snapshot(&self.sentinel),
            self.sentinel_before,
            "{case}: sentinel changed"
        );
        let beside: Vec<_> = std::fs::read_dir(self.root.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        let mut beside = beside;
        beside.sort();
        assert_eq!(
            beside,
            ["root", "sentinel"],
            "{case}: something appeared beside the root"
        );
    }
}

/// Spellings that must be refused by `RelPath::new` itself.
const REFUSED: &[&str] = &[
    "",
    ".",
    "./",
    "//",
    "..",
    "../",
    "../x",
    "../../etc/passwd",
    "a/../../x",
    "a/./../x",
    "./../x",
    "a/b/../../../x",
    "a//..//x",
    "/etc/passwd",
    "/",
    "//server/share/x",
    "/../x",
    "C:",
    "C:x",
    "C:/x",
    "c:\\x",
    "D:../x",
    "\\\\server\\share\\x",
    "\\\\?\\C:\\x",
    "\\\\.\\device",
    "..\\x",
    "a\\..\\..\\x",
    "a\\b",
    "file.md:stream",
    "x\0y",
    "x/\0",
    "CON",
    "con.md",
    "a/PRN.txt",
    "AUX",
    "NUL.tar.gz",
    "com1",
    "COM9.log",
    "lpt3.md",
    "LPT¹",
    "conin$",
    "x/CONOUT$.txt",
    "dir./x",
    "dir /x",
    "x/name.",
    "x/name ",
    "...",
    ".stencil",
    ".stencil/deploy-journal",
    ".STENCIL/x",
    "./.stencil/deploy.lock",
    ".claude/rules/nl\nx.md",
    "tab\there.md",
    "cr\r",
    "del\u{7f}.md",
    "esc\u{1b}[31m.md",
    "q?*<>|.md",
    "a/b*",
    "x/\"quoted\"",
];

#[test]
fn hostile_spellings_are_refused_by_relpath() {
    let arena = Arena::new();
    for case in REFUSED {
        assert!(RelPath::new(case).is_err(), "{case:?} was accepted");
    }
    arena.check("spellings");
}

#[test]
fn names_that_merely_contain_dots_are_accepted_and_stay_inside() {
    let arena = Arena::new();
    let names = [
        "notes..md",
        "a..b/c",
        "..hidden",
        "x/..y",
        "v1.2..3/..md",
        "a/...b",
    ];
    let mut plan = DeployPlan::new(&arena.root);
    for name in names {
        plan.add(RelPath::new(name).unwrap(), name, None).unwrap();
    }
    deploy(&plan, &DeployOptions::new()).unwrap();
    for name in names {
        assert_eq!(read(&arena.root, name), name);
    }
    arena.check("dots");
}

/// Plant `link` (relative to the root) pointing at `target`, then deploy
/// `paths` under every policy: each must be refused or stay inside.
fn link_case(case: &str, link: &str, target: &dyn Fn(&Arena) -> PathBuf, paths: &[&str]) {
    for policy in [
        OverwritePolicy::Skip,
        OverwritePolicy::Overwrite,
        OverwritePolicy::Fail,
    ] {
        for portable in [false, true] {
            let arena = Arena::new();
            let link_path = arena.root.join(link);
            std::fs::create_dir_all(link_path.parent().unwrap()).unwrap();
            symlink(target(&arena), &link_path).unwrap();
            let before = snapshot(&arena.root);
            let mut plan = DeployPlan::new(&arena.root);
            for p in paths {
                plan.add(RelPath::new(p).unwrap(), "evil", None).unwrap();
            }
            let options = DeployOptions::new()
                .overwrite(policy)
                .force_portable(portable);
            let label = format!("{case} {policy:?} portable={portable}");
            match deploy(&plan, &options) {
                Err(DeployError::SymlinkInPath { .. }) => {
                    assert_eq!(snapshot(&arena.root), before, "{label}")
                }
                Err(e) => panic!("{label}: unexpected error {e}"),
                Ok(_) => panic!("{label}: deployed through a link"),
            }
            arena.check(&label);
        }
    }
}

fn to_sentinel(a: &Arena) -> PathBuf {
    a.sentinel.clone()
}

fn to_sentinel_sub(a: &Arena) -> PathBuf {
    a.sentinel.join("sub")
}

fn dangling(a: &Arena) -> PathBuf {
    a.sentinel.join("does-not-exist")
}

fn relative_up(_: &Arena) -> PathBuf {
    PathBuf::from("../../sentinel")
}

fn relative_up_far(_: &Arena) -> PathBuf {
    PathBuf::from("../../../../../../../../tmp")
}

fn to_etc(_: &Arena) -> PathBuf {
    PathBuf::from("/etc")
}

fn inside_root(a: &Arena) -> PathBuf {
    a.root.join("real")
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn an_intermediate_link_to_outside_is_refused() {
    link_case("abs link", "docs", &to_sentinel, &["docs/x.md"]);
    link_case(
        "abs link, deep",
        "docs",
        &to_sentinel,
        &["docs/sub/new/x.md"],
    );
    link_case(
        "abs link to existing file",
        "docs",
        &to_sentinel,
        &["docs/precious.md"],
    );
    link_case("link to /etc", "etc", &to_etc, &["etc/passwd-stencil"]);
    link_case("nested link", "a/b", &to_sentinel_sub, &["a/b/x.md"]);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn a_dangling_intermediate_link_is_refused() {
    link_case("dangling", "docs", &dangling, &["docs/x.md"]);
    link_case("dangling, deep", "docs", &dangling, &["docs/new/x.md"]);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn a_relative_intermediate_link_is_refused() {
    link_case("relative ../..", "a/docs", &relative_up, &["a/docs/x.md"]);
    link_case("relative far up", "docs", &relative_up_far, &["docs/x.md"]);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn even_a_link_that_stays_inside_the_root_is_not_followed() {
    let arena = Arena::new();
    std::fs::create_dir(arena.root.join("real")).unwrap();
    drop(arena);
    link_case("inside link", "alias", &inside_root, &["alias/x.md"]);
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn a_state_directory_that_is_a_link_is_refused() {
    for (name, target) in [
        ("link to sentinel", to_sentinel as fn(&Arena) -> PathBuf),
        ("dangling", dangling),
    ] {
        let arena = Arena::new();
        symlink(target(&arena), arena.root.join(".stencil")).unwrap();
        let err = deploy(
            &plan_of(&arena.root, &[("a.md", "x")]),
            &DeployOptions::new(),
        )
        .unwrap_err();
        assert!(
            matches!(err, DeployError::StateDir { .. }),
            "{name}: {err:?}"
        );
        assert!(
            matches!(recover(&arena.root), Err(DeployError::StateDir { .. })),
            "{name}"
        );
        assert!(!arena.root.join("a.md").exists());
        arena.check(name);
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn links_planted_in_the_state_directory_are_never_followed() {
    for name in ["deploy-journal", "deploy-journal.tmp", "deploy-staging"] {
        for target in ["sentinel/precious.md", "sentinel/sub", "sentinel/none"] {
            let arena = Arena::new();
            std::fs::create_dir(arena.root.join(".stencil")).unwrap();
            let outside = arena.sentinel.parent().unwrap().join(target);
            symlink(&outside, arena.root.join(".stencil").join(name)).unwrap();
            let label = format!("{name} -> {target}");
            // Refused, or done without touching what the link points at.
            let _ = deploy(
                &plan_of(&arena.root, &[("a.md", "x")]),
                &DeployOptions::new(),
            );
            let _ = recover(&arena.root);
            arena.check(&label);
            assert!(!outside.join("a.md").exists(), "{label}");
        }
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn a_leaf_link_to_outside_is_replaced_or_skipped_never_followed() {
    for policy in [OverwritePolicy::Skip, OverwritePolicy::Overwrite] {
        let arena = Arena::new();
        symlink(arena.sentinel.join("precious.md"), arena.root.join("a.md")).unwrap();
        symlink("../sentinel/new.md", arena.root.join("b.md")).unwrap();
        let plan = plan_of(&arena.root, &[("a.md", "evil"), ("b.md", "evil")]);
        deploy(&plan, &DeployOptions::new().overwrite(policy)).unwrap();
        arena.check(&format!("leaf link {policy:?}"));
    }
}

/// Swap a directory for a link to the sentinel between preflight and
/// placement (from the observer, which runs inside the deploy).
fn swap_case(swap_on: &'static str, portable: bool) {
    let arena = Arena::new();
    write(&arena.root, "docs/old.md", "old");
    let root = arena.root.clone();
    let sentinel = arena.sentinel.clone();
    let swapped = std::sync::atomic::AtomicBool::new(false);
    let options = DeployOptions::new()
        .overwrite(OverwritePolicy::Overwrite)
        .durability(Durability::None)
        .workers(1)
        .force_portable(portable)
        .observer(move |e: &DeployEvent<'_>| {
            let now = match e {
                DeployEvent::Planned { .. } => swap_on == "planned",
                DeployEvent::Staged { done: 1, .. } => swap_on == "staged",
                DeployEvent::Placed { done: 1, .. } => swap_on == "placed",
                _ => false,
            };
            if now && !swapped.swap(true, std::sync::atomic::Ordering::SeqCst) {
                std::fs::rename(root.join("docs"), root.join("docs.moved")).unwrap();
                symlink(&sentinel, root.join("docs")).unwrap();
            }
        });
    // "a.md" sorts before "docs/…", so with swap_on == "placed" the swap
    // happens after one file is in place.
    let plan = plan_of(
        &arena.root,
        &[
            ("a.md", "n"),
            ("docs/old.md", "evil"),
            ("docs/new.md", "evil"),
            ("docs/sub/x.md", "evil"),
        ],
    );
    let result = deploy(&plan, &options);
    let label = format!("swap on {swap_on}, portable={portable}");
    assert!(
        matches!(result, Err(DeployError::SymlinkInPath { .. })),
        "{label}: {result:?}"
    );
    arena.check(&label);
    // Rolled back: no planned file is anywhere in the root, and the moved
    // directory keeps its old file. (A directory the deploy created inside
    // the moved one before the swap stays where the other process took it:
    // reaching it would mean following the link.)
    assert!(!arena.root.join("a.md").exists(), "{label}");
    assert_eq!(read(&arena.root, "docs.moved/old.md"), "old", "{label}");
    for (path, node) in snapshot(&arena.root) {
        match node {
            Node::File { bytes, .. } => assert_ne!(bytes, b"evil", "{label}: {path:?}"),
            Node::Dir { .. } => {
                let under_moved = path.starts_with("docs.moved");
                assert!(
                    under_moved || path == Path::new("docs.moved"),
                    "{label}: {path:?}"
                );
            }
            Node::Link { .. } => assert_eq!(path, Path::new("docs"), "{label}"),
        }
    }
    assert!(!arena.root.join(".stencil").exists(), "{label}: litter");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn a_link_swapped_in_after_preflight_is_not_followed() {
    for portable in [false, true] {
        for swap_on in ["planned", "staged", "placed"] {
            swap_case(swap_on, portable);
        }
    }
}

/// Every name stencil uses in its state directory, for the planting thread.
const STATE_NAMES: &[&str] = &[
    ".stencil/deploy-journal.tmp",
    ".stencil/deploy-journal",
    ".stencil/deploy-staging/0",
    ".stencil/deploy-staging/1",
    ".stencil/deploy-staging/7",
    ".stencil/deploy-staging/0.old",
    ".stencil/deploy-staging/1.old",
    ".stencil/deploy-staging/lane1",
    ".stencil/deploy-staging/lane1/1",
];

#[test]
fn links_planted_in_the_state_directory_during_deploys_are_never_written_through() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    let arena = Arena::new();
    let outside = arena.sentinel.join("precious.md");
    let outside_dir = arena.sentinel.join("sub");
    let stop = AtomicBool::new(false);
    let planted = AtomicUsize::new(0);
    let mut outcomes = [[0usize; 2]; 4];
    std::thread::scope(|scope| {
        // The attacker: keeps planting a hard link to the outside file, or a
        // symbolic link to it or to an outside directory, at each name of
        // the state directory, whenever that name is free.
        scope.spawn(|| {
            let mut round = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for name in STATE_NAMES {
                    let at = arena.root.join(name);
                    // Never plant *through* one of its own links to the
                    // outside directory (only the attacker makes links, so
                    // this check cannot race with stencil).
                    let through_own_link = std::fs::symlink_metadata(at.parent().unwrap())
                        .is_ok_and(|m| m.file_type().is_symlink());
                    if through_own_link {
                        continue;
                    }
                    let made = match round % 3 {
                        0 => std::fs::hard_link(&outside, &at),
                        1 => symlink(&outside, &at),
                        _ => symlink(&outside_dir, &at),
                    };
                    if made.is_ok() {
                        planted.fetch_add(1, Ordering::Relaxed);
                    }
                }
                round += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        let started = Instant::now();
        let mut k = 0usize;
        while started.elapsed() < Duration::from_secs(3) || k < 8 {
            let policy = [OverwritePolicy::Skip, OverwritePolicy::Overwrite][k % 2];
            let portable = (k / 2) % 2 == 1;
            let plan = spread_plan(&arena.root, 120, 10, &format!("gen{k}"));
            let options = DeployOptions::new()
                .overwrite(policy)
                .workers(if k.is_multiple_of(3) { 2 } else { 1 })
                .force_portable(portable);
            let result = deploy(&plan, &options);
            outcomes[k % 4][usize::from(result.is_err())] += 1;
            k += 1;
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(
        planted.load(Ordering::Relaxed) > 0,
        "the attacker never planted anything"
    );
    let _ = recover(&arena.root);
    assert_eq!(
        std::fs::read_to_string(&outside).unwrap(),
        "do not touch",
        "written through a link (outcomes ok/err by skip, overwrite, portable skip, \
         portable overwrite: {outcomes:?})"
    );
    arena.check("links planted during deploys");
    // What the attacker left is removed by hand; deploys then work again.
    let _ = std::fs::remove_dir_all(arena.root.join(".stencil"));
    let plan = spread_plan(&arena.root, 120, 10, "final");
    deploy(
        &plan,
        &DeployOptions::new().overwrite(OverwritePolicy::Overwrite),
    )
    .unwrap();
    assert_eq!(read(&arena.root, "d0/sub0/f1.md"), "final 1\nfinal 1\n");
    arena.check("final deploy");
}

#[test]
fn a_hard_link_planted_at_a_state_name_mid_deploy_is_removed_or_refused_never_written_through() {
    // Planted once, deterministically, from the observer: after recovery
    // and preflight (the journal's temporary name), and after the first
    // file is staged (the next staging slots).
    for (when, names) in [
        (
            "planned",
            &[".stencil/deploy-journal.tmp", ".stencil/deploy-journal"][..],
        ),
        (
            "staged",
            &[".stencil/deploy-staging/3", ".stencil/deploy-staging/4"][..],
        ),
    ] {
        for policy in [OverwritePolicy::Skip, OverwritePolicy::Overwrite] {
            let arena = Arena::new();
            write(&arena.root, "d0/sub0/f0.md", "old");
            let before = snapshot(&arena.root);
            let outside = arena.sentinel.join("precious.md");
            let root = arena.root.clone();
            let target = outside.clone();
            let options =
                DeployOptions::new()
                    .overwrite(policy)
                    .observer(move |e: &DeployEvent<'_>| {
                        let now = match e {
                            DeployEvent::Planned { .. } => when == "planned",
                            DeployEvent::Staged { done: 1, .. } => when == "staged",
                            _ => false,
                        };
                        if now {
                            for name in names {
                                std::fs::hard_link(&target, root.join(name)).unwrap();
                            }
                        }
                    });
            let plan = spread_plan(&arena.root, 5, 10, "new");
            let result = deploy(&plan, &options);
            let label = format!("{when} {policy:?}");
            assert_eq!(
                std::fs::read_to_string(&outside).unwrap(),
                "do not touch",
                "{label}: written through"
            );
            match when {
                // A name stencil is about to create is freed, not written
                // through: the deploy succeeds.
                "planned" => {
                    result.unwrap_or_else(|e| panic!("{label}: {e}"));
                    assert_eq!(read(&arena.root, "d0/sub0/f1.md"), "new 1\nnew 1\n");
                }
                // A staging slot someone else filled is refused: rolled back.
                _ => {
                    assert!(result.is_err(), "{label}: {result:?}");
                    let _ = std::fs::remove_dir_all(arena.root.join(".stencil"));
                    assert_eq!(snapshot(&arena.root), before, "{label}");
                }
            }
            arena.check(&label);
        }
    }
}

#[test]
fn a_fifo_at_the_journal_name_is_refused_without_blocking() {
    let arena = Arena::new();
    std::fs::create_dir(arena.root.join(".stencil")).unwrap();
    let fifo = arena.root.join(".stencil/deploy-journal");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let err = recover(&arena.root).unwrap_err();
    assert!(
        matches!(err, DeployError::Journal { .. })
            && err.to_string().contains("not a regular file"),
        "{err}"
    );
    arena.check("fifo");
}

/// What appears, between preflight and placement, where a new subtree (a
/// directory the deploy creates, staged whole and renamed into place) goes.
#[derive(Debug, Clone, Copy)]
enum Planted {
    /// A link to the sentinel: must never be followed.
    Link,
    /// A file: the deploy cannot make its directory there.
    File,
    /// Someone else's directory (with a file of theirs): the deploy places
    /// into it file by file, as into any existing directory.
    Dir,
}

fn plant_at_new_subtree(planted: Planted, portable: bool) {
    let arena = Arena::new();
    write(&arena.root, "keep.md", "old");
    let root = arena.root.clone();
    let sentinel = arena.sentinel.clone();
    let done = std::sync::atomic::AtomicBool::new(false);
    let options = DeployOptions::new()
        .overwrite(OverwritePolicy::Overwrite)
        .force_portable(portable)
        .observer(move |e: &DeployEvent<'_>| {
            // After the last file is staged: the subtree is complete in the
            // staging area and about to be renamed.
            if let DeployEvent::Staged { done: d, total } = e
                && d == total
                && !done.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                match planted {
                    Planted::Link => symlink(&sentinel, root.join("new")).unwrap(),
                    Planted::File => std::fs::write(root.join("new"), "theirs").unwrap(),
                    Planted::Dir => write(&root, "new/theirs.md", "theirs"),
                }
            }
        });
    let plan = plan_of(
        &arena.root,
        &[
            ("keep.md", "n"),
            ("new/a.md", "n"),
            ("new/sub/b.md", "n"),
            ("new/sub/deeper/c.md", "n"),
        ],
    );
    let result = deploy(&plan, &options);
    let label = format!("{planted:?} portable={portable}");
    arena.check(&label);
    match planted {
        Planted::Link => {
            assert!(
                matches!(result, Err(DeployError::SymlinkInPath { .. })),
                "{label}: {result:?}"
            );
            assert_eq!(read(&arena.root, "keep.md"), "old", "{label}");
        }
        Planted::File => {
            assert!(
                matches!(result, Err(DeployError::NotADirectory { .. })),
                "{label}: {result:?}"
            );
            assert_eq!(read(&arena.root, "keep.md"), "old", "{label}");
            assert_eq!(read(&arena.root, "new"), "theirs", "{label}");
        }
        Planted::Dir => {
            let report = result.unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(report.written.len(), 3, "{label}");
            assert_eq!(read(&arena.root, "new/theirs.md"), "theirs", "{label}");
            assert_eq!(read(&arena.root, "new/sub/deeper/c.md"), "n", "{label}");
            // Theirs, not ours: not reported as created.
            assert!(
                !report.dirs_created.iter().any(|d| d.as_str() == "new"),
                "{label}: {:?}",
                report.dirs_created
            );
        }
    }
    assert!(!arena.root.join(".stencil").exists(), "{label}: litter");
}

#[test]
#[cfg_attr(
    windows,
    ignore = "plants symbolic links: Wine 8 cannot create them (CreateSymbolicLinkW succeeds and creates nothing); run with --ignored on Windows with Developer Mode"
)]
fn whatever_appears_where_a_new_subtree_goes_is_never_replaced_or_followed() {
    for portable in [false, true] {
        for planted in [Planted::Link, Planted::File, Planted::Dir] {
            plant_at_new_subtree(planted, portable);
        }
    }
}
