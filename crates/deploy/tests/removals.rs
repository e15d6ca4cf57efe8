//! Removal entries and expectations ([`Expect`]): a removal is part of the
//! transaction (backed up by a rename into the staging area, journaled,
//! undone on rollback and by recovery); an entry whose path no longer holds
//! what the plan saw is refused with nothing changed; state-directory
//! entries (the facade's records) commit with the files.

mod common;

use std::path::Path;

use common::*;
use stencil_deploy::{
    DeployError, DeployOptions, DeployPlan, Durability, Expect, FailAction, Failpoint,
    OverwritePolicy, RelPath, Step, deploy, recover,
};

fn p(s: &str) -> RelPath {
    RelPath::new(s).unwrap()
}

/// A project as a previous deploy left it: a record, files to replace, to
/// remove (one alone in its directory), and one to keep.
fn old_tree(root: &Path) {
    write(root, ".stencil/deployments/t.json", "record 1\n");
    write(root, "a/replace.md", "old replace\n");
    write(root, "a/remove.md", "old remove\n");
    write(root, "lonely/dir/gone.md", "gone\n");
    write(root, "keep.md", "keep\n");
}

/// Replace one file, create two, remove two, replace the record.
fn update_plan(root: &Path) -> DeployPlan {
    let mut plan = DeployPlan::new(root);
    plan.add_expecting(
        p("a/replace.md"),
        "new replace\n",
        None,
        Expect::Content(b"old replace\n".to_vec()),
    )
    .unwrap();
    plan.add_expecting(p("b/new.md"), "new\n", Some(0o755), Expect::Absent)
        .unwrap();
    plan.add_expecting(p("a/new2.md"), "new 2\n", None, Expect::Absent)
        .unwrap();
    plan.remove(p("a/remove.md"), "old remove\n").unwrap();
    plan.remove(p("lonely/dir/gone.md"), "gone\n").unwrap();
    plan.add_expecting(
        RelPath::in_state_dir("deployments/t.json").unwrap(),
        "record 2\n",
        None,
        Expect::Content(b"record 1\n".to_vec()),
    )
    .unwrap();
    plan.prune_empty_dirs(true);
    plan
}

/// The tree a committed `update_plan` leaves (pruning included).
fn new_tree(root: &Path, before: &Snapshot) -> Snapshot {
    let mut want = expected_after(before, &update_plan(root), false);
    want.remove(Path::new("lonely/dir"));
    want.remove(Path::new("lonely"));
    want
}

fn steps() -> Vec<Step> {
    vec![
        Step::AfterLock,
        Step::AfterStaged(1),
        Step::AfterJournal,
        Step::AfterDirCreated(1),
        Step::AfterPlaced(1),
        Step::AfterPlaced(4), // after the writes, before the removals
        Step::AfterPlaced(5), // one removal done
        Step::AfterPlaced(6),
        Step::AfterDirSync,
        Step::BeforeCommit,
    ]
}

fn options(portable: bool, durability: Durability) -> DeployOptions {
    DeployOptions::new()
        .overwrite(OverwritePolicy::Fail)
        .durability(durability)
        .force_portable(portable)
}

#[test]
fn a_committed_update_replaces_creates_removes_and_prunes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    old_tree(root);
    let before = snapshot(root);
    let report = deploy(&update_plan(root), &options(false, Durability::None)).unwrap();
    assert_eq!(
        paths(&report.removed),
        ["a/remove.md", "lonely/dir/gone.md"]
    );
    assert_eq!(paths(&report.dirs_removed), ["lonely/dir", "lonely"]);
    assert_eq!(snapshot(root), new_tree(root, &before));
}

#[test]
fn an_error_at_any_step_of_an_update_rolls_back_to_a_byte_identical_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for portable in [false, true] {
        for durability in [Durability::None, Durability::PerFile] {
            for step in steps() {
                n += 1;
                let root = dir.path().join(n.to_string());
                old_tree(&root);
                let before = snapshot(&root);
                let options = options(portable, durability).failpoint(Failpoint {
                    step,
                    action: FailAction::Error,
                });
                let err = deploy(&update_plan(&root), &options).unwrap_err();
                let label = format!("portable={portable} {durability:?} {step:?}");
                assert!(
                    matches!(err, DeployError::Failpoint { .. }),
                    "{label}: {err}"
                );
                assert_eq!(snapshot(&root), before, "{label}");
            }
        }
    }
}

#[test]
fn a_crash_at_any_step_of_an_update_is_undone_by_recover() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for portable in [false, true] {
        let mut steps = steps();
        steps.push(Step::AfterCommit);
        for step in steps {
            n += 1;
            let root = dir.path().join(n.to_string());
            old_tree(&root);
            let before = snapshot(&root);
            let options = options(portable, Durability::None).failpoint(Failpoint {
                step,
                action: FailAction::Crash,
            });
            let label = format!("portable={portable} {step:?}");
            assert!(deploy(&update_plan(&root), &options).is_err(), "{label}");
            recover(&root).unwrap();
            let want = if step == Step::AfterCommit {
                // Pruning runs after the commit point; recovery finishes it.
                new_tree(&root, &before)
            } else {
                before.clone()
            };
            assert_eq!(snapshot(&root), want, "{label}");
            assert!(recover(&root).unwrap().is_clean(), "{label}");
        }
    }
}

#[test]
fn a_file_edited_after_planning_is_never_replaced_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    for (n, edit) in ["a/replace.md", "a/remove.md", ".stencil/deployments/t.json"]
        .into_iter()
        .enumerate()
    {
        let root = dir.path().join(n.to_string());
        old_tree(&root);
        let plan = update_plan(&root);
        // The user saves between planning and deploying.
        write(&root, edit, "edited by the user\n");
        let before = snapshot(&root);
        let err = deploy(&plan, &options(false, Durability::None)).unwrap_err();
        assert!(
            matches!(&err, DeployError::Changed { path, .. } if path.as_str() == edit),
            "{edit}: {err}"
        );
        assert_eq!(snapshot(&root), before, "{edit}");
    }
}

#[test]
fn a_file_appearing_where_the_plan_saw_none_is_refused_whatever_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    old_tree(root);
    let plan = update_plan(root);
    write(root, "b/new.md", "the user's own\n");
    let before = snapshot(root);
    let options = options(false, Durability::None).overwrite(OverwritePolicy::Overwrite);
    let err = deploy(&plan, &options).unwrap_err();
    assert!(matches!(err, DeployError::Changed { .. }), "{err}");
    assert_eq!(snapshot(root), before);
}

#[test]
fn a_file_removed_after_planning_fails_the_removal() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    old_tree(root);
    let plan = update_plan(root);
    std::fs::remove_file(root.join("a/remove.md")).unwrap();
    let before = snapshot(root);
    let err = deploy(&plan, &options(false, Durability::None)).unwrap_err();
    assert!(matches!(err, DeployError::Changed { .. }), "{err}");
    assert_eq!(snapshot(root), before);
}

#[test]
fn keep_if_exists_never_replaces_and_creates_when_absent() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "bases/ab", "same\n");
    let mut plan = DeployPlan::new(root);
    plan.add_expecting(p("bases/ab"), "other\n", None, Expect::KeepIfExists)
        .unwrap();
    plan.add_expecting(p("bases/cd"), "new\n", None, Expect::KeepIfExists)
        .unwrap();
    let report = deploy(&plan, &options(false, Durability::None)).unwrap();
    assert_eq!(paths(&report.skipped), ["bases/ab"]);
    assert_eq!(paths(&report.written), ["bases/cd"]);
    assert_eq!(read(root, "bases/ab"), "same\n");
}

// Wine cannot make links (see tests/attacks.rs): Unix only.
#[cfg(unix)]
#[test]
fn a_link_at_a_path_to_remove_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "target.md", "x\n");
    std::os::unix::fs::symlink("target.md", root.join("link.md")).unwrap();
    let mut plan = DeployPlan::new(root);
    plan.remove(p("link.md"), "x\n").unwrap();
    let before = snapshot(root);
    let err = deploy(&plan, &DeployOptions::new()).unwrap_err();
    assert!(matches!(err, DeployError::Changed { .. }), "{err}");
    assert_eq!(snapshot(root), before);
}

#[test]
fn a_dry_run_reports_removals_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    old_tree(root);
    let before = snapshot(root);
    let report = deploy(
        &update_plan(root),
        &options(false, Durability::None).dry_run(true),
    )
    .unwrap();
    assert_eq!(
        paths(&report.removed),
        ["a/remove.md", "lonely/dir/gone.md"]
    );
    assert_eq!(snapshot(root), before);
}

/// The edit lands after preflight, while the deploy is placing files: the
/// check made on the swapped-out file catches it, puts it back and rolls
/// everything back.
#[test]
fn an_edit_made_during_placement_is_caught_at_the_exchange() {
    let dir = tempfile::tempdir().unwrap();
    // Placement goes by parent directory: the record first, then `a/…`
    // (replace.md, new2.md), then `b/new.md`, then the removals.
    for (n, (edit, after)) in [("a/replace.md", 1), ("a/remove.md", 4)]
        .into_iter()
        .enumerate()
    {
        for portable in [false, true] {
            let root = dir.path().join(format!("{n}-{portable}"));
            old_tree(&root);
            let mut before = snapshot(&root);
            before.insert(
                edit.into(),
                Node::File {
                    bytes: b"edited mid-deploy\n".to_vec(),
                    mode: mode(&root, edit),
                },
            );
            let target = root.join(edit);
            let options = options(portable, Durability::None).observer(
                move |event: &stencil_deploy::DeployEvent<'_>| {
                    if let stencil_deploy::DeployEvent::Placed { done, .. } = event
                        && *done == after
                    {
                        std::fs::write(&target, "edited mid-deploy\n").unwrap();
                    }
                },
            );
            let err = deploy(&update_plan(&root), &options).unwrap_err();
            assert!(
                matches!(&err, DeployError::Changed { path, .. } if path.as_str() == edit),
                "{edit} portable={portable}: {err}"
            );
            assert_eq!(snapshot(&root), before, "{edit} portable={portable}");
        }
    }
}
