//! proptest: random plans into random pre-existing trees, under every
//! policy, end exactly as a simple model of the policy says: the same tree,
//! the same report, or an error with the tree untouched.

mod common;

use std::path::{Path, PathBuf};

use common::os::{set_mode, symlink};
use common::*;
use proptest::prelude::*;
use stencil_deploy::{DeployOptions, DeployPlan, Durability, OverwritePolicy, RelPath, deploy};

/// A small universe of paths, so that plans and trees collide often.
const DIRS: &[&str] = &["", "a/", "a/b/", "c/", "c/a/"];
const NAMES: &[&str] = &["x.md", "y", "B"];

#[derive(Debug, Clone)]
enum Pre {
    File(String, u8, bool),
    Link(String),
    /// A plain file where the plan may need a directory.
    Blocker(String),
    /// A directory where the plan may want a file.
    DirAt(String),
}

fn path_strategy() -> impl Strategy<Value = String> {
    (0..DIRS.len(), 0..NAMES.len()).prop_map(|(d, n)| format!("{}{}", DIRS[d], NAMES[n]))
}

fn pre_strategy() -> impl Strategy<Value = Pre> {
    prop_oneof![
        6 => (path_strategy(), any::<u8>(), any::<bool>()).prop_map(|(p, c, x)| Pre::File(p, c, x)),
        2 => path_strategy().prop_map(Pre::Link),
        1 => prop::sample::select(vec!["a", "c/a", "a/b"]).prop_map(|s| Pre::Blocker(s.to_owned())),
        1 => path_strategy().prop_map(Pre::DirAt),
    ]
}

fn policy_strategy() -> impl Strategy<Value = OverwritePolicy> {
    prop::sample::select(vec![
        OverwritePolicy::Skip,
        OverwritePolicy::Overwrite,
        OverwritePolicy::Fail,
    ])
}

/// Build the pre-existing tree; items that clash with earlier ones are
/// dropped, as a user's tree simply could not hold both.
fn build(root: &Path, pre: &[Pre]) {
    std::fs::create_dir_all(root).unwrap();
    for item in pre {
        let (rel, make): (&str, Make) = match item {
            Pre::File(p, c, exec) => (
                p,
                Box::new(move |path: &Path| {
                    std::fs::write(path, [*c; 3])?;
                    let mode = if *exec { 0o755 } else { 0o640 };
                    set_mode(path, mode)
                }),
            ),
            Pre::Link(p) => (p, Box::new(|path: &Path| symlink("../../outside", path))),
            Pre::Blocker(p) => (p, Box::new(|path: &Path| std::fs::write(path, "blocker"))),
            Pre::DirAt(p) => (p, Box::new(|path: &Path| std::fs::create_dir(path))),
        };
        let path = root.join(rel);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        if let Some(parent) = path.parent()
            && std::fs::create_dir_all(parent).is_err()
        {
            continue;
        }
        let _ = make(&path);
    }
}

/// The tree after, and the written, overwritten and skipped paths.
type Outcome = (Snapshot, Vec<String>, Vec<String>, Vec<String>);

/// A step of building the tree before.
type Make<'a> = Box<dyn Fn(&Path) -> std::io::Result<()> + 'a>;

/// The model: what the policy says must happen (`None`: an error, and the
/// tree untouched).
fn model(before: &Snapshot, plan: &DeployPlan, policy: OverwritePolicy) -> Option<Outcome> {
    let (mut written, mut overwritten, mut skipped) = (vec![], vec![], vec![]);
    for entry in plan.entries() {
        let rel = entry.path().as_path();
        for ancestor in rel.ancestors().skip(1) {
            match before.get(ancestor) {
                None | Some(Node::Dir { .. }) => {}
                Some(_) => return None, // a file or link where a directory is needed
            }
        }
        match before.get(rel) {
            Some(Node::Dir { .. }) => return None,
            Some(_) if policy == OverwritePolicy::Fail => return None,
            Some(_) if policy == OverwritePolicy::Skip => skipped.push(entry.path().to_string()),
            Some(_) => overwritten.push(entry.path().to_string()),
            None => written.push(entry.path().to_string()),
        }
    }
    let after = expected_after(before, plan, policy == OverwritePolicy::Overwrite);
    Some((after, written, overwritten, skipped))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    // The model is case-sensitive and plants symbolic links; Windows file
    // systems fold case and Wine cannot create links (see attacks.rs).
    #[test]
    #[cfg_attr(windows, ignore = "case-sensitive model with symbolic links: not Windows semantics")]
    fn deploy_matches_the_policy_model(
        pre in prop::collection::vec(pre_strategy(), 0..10),
        files in prop::collection::vec((path_strategy(), any::<u8>(), prop::option::of(prop::sample::select(vec![0o600u32, 0o644, 0o755]))), 1..10),
        policy in policy_strategy(),
        durability in prop::sample::select(vec![Durability::None, Durability::Batch]),
        portable in any::<bool>(),
        workers in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let root: PathBuf = dir.path().join("root");
        build(&root, &pre);
        let before = snapshot(&root);

        let mut plan = DeployPlan::new(&root);
        for (path, byte, mode) in &files {
            // Collisions with earlier entries are the plan's to refuse (unit
            // tested); the model only sees accepted entries.
            let _ = plan.add(RelPath::new(path).unwrap(), vec![*byte; 1 + *byte as usize % 7], *mode);
        }
        let options = DeployOptions::new()
            .overwrite(policy)
            .durability(durability)
            .workers(workers)
            .force_portable(portable);
        let result = deploy(&plan, &options);
        let after = snapshot(&root);
        match model(&before, &plan, policy) {
            None => {
                prop_assert!(result.is_err(), "model says error, deploy said {:?}", result);
                prop_assert_eq!(after, before);
            }
            Some((want, written, overwritten, skipped)) => {
                let report = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(after, want);
                let names = |v: &[RelPath]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
                prop_assert_eq!(names(&report.written), written);
                prop_assert_eq!(names(&report.overwritten), overwritten);
                prop_assert_eq!(names(&report.skipped), skipped);
            }
        }
    }
}
