//! Small random plans deployed into a temp root holding random pre-existing
//! files, directories and symlinks: `deploy` never panics, never touches
//! anything outside the root, and its result matches the policy model.
//!
//! Input layout: byte 0 picks the policy; then a count of pre-existing
//! entries and two bytes each (kind, path); then two bytes per planned file
//! (path, content).
#![no_main]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use libfuzzer_sys::fuzz_target;
use stencil_deploy::{DeployOptions, DeployPlan, OverwritePolicy, RelPath, deploy};

const PATHS: [&str; 12] = [
    "a", "A", "b", "d/a", "d/b", "D/c", "d/e/f", "x..y", "../escape", "/abs", ".stencil/j", "a/b",
];

#[derive(Debug, PartialEq, Eq)]
enum Node {
    File(Vec<u8>, u32),
    Dir,
    Link(std::path::PathBuf),
}

/// Everything under `dir`, without following links.
fn snapshot(dir: &Path) -> BTreeMap<String, Node> {
    use std::os::unix::fs::PermissionsExt;
    fn walk(dir: &Path, base: &Path, out: &mut BTreeMap<String, Node>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let meta = fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(rel, Node::Link(fs::read_link(&p).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Node::Dir);
                walk(&p, base, out);
            } else {
                out.insert(rel, Node::File(fs::read(&p).unwrap(), meta.permissions().mode() & 0o777));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fuzz_target!(|data: &[u8]| {
    let [policy, existing, rest @ ..] = data else { return };
    let policy = match policy % 3 {
        0 => OverwritePolicy::Skip,
        1 => OverwritePolicy::Overwrite,
        _ => OverwritePolicy::Fail,
    };
    let existing = (*existing as usize % 5).min(rest.len() / 2);
    let (pre, planned) = rest.split_at(existing * 2);

    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("root");
    let outside = tmp.path().join("outside");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("sentinel"), b"keep").unwrap();
    for pair in pre.chunks_exact(2) {
        let Ok(rel) = RelPath::new(PATHS[pair[1] as usize % PATHS.len()]) else { continue };
        let target = root.join(rel.as_path());
        if let Some(parent) = target.parent() {
            if fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        let _ = match pair[0] % 4 {
            0 | 1 => fs::write(&target, [pair[0]]),
            2 => fs::create_dir_all(&target),
            _ => symlink(&outside, &target),
        };
    }

    let mut plan = DeployPlan::new(&root);
    for pair in planned.chunks_exact(2).take(8) {
        let Ok(rel) = RelPath::new(PATHS[pair[0] as usize % PATHS.len()]) else { continue };
        let _ = plan.add(rel, vec![pair[1]; 3], None);
    }
    let before_root = snapshot(&root);
    let before_outside = snapshot(&outside);
    let result = deploy(&plan, &DeployOptions::new().overwrite(policy));
    assert_eq!(snapshot(&outside), before_outside, "outside changed: {result:?}");
    let after = snapshot(&root);
    match result {
        Err(_) => assert_eq!(after, before_root, "failed deploy changed the tree"),
        Ok(report) => {
            for entry in plan.entries() {
                let key = entry.path().as_str().to_string();
                let existed = before_root.contains_key(&key);
                let new = Node::File(
                    entry.contents().bytes().expect("in memory").to_vec(),
                    entry.effective_mode(),
                );
                match (existed, policy) {
                    (_, OverwritePolicy::Fail) if existed => panic!("Fail policy placed over {key}"),
                    (true, OverwritePolicy::Skip) => {
                        assert_eq!(after.get(&key), before_root.get(&key), "{key} not skipped");
                        assert!(report.skipped.contains(entry.path()));
                    }
                    (true, _) => {
                        assert_eq!(after.get(&key), Some(&new), "{key} not overwritten");
                        assert!(report.overwritten.contains(entry.path()));
                    }
                    (false, _) => {
                        assert_eq!(after.get(&key), Some(&new), "{key} not written");
                        assert!(report.written.contains(entry.path()));
                    }
                }
            }
            // Nothing but planned paths and their parents changed.
            for (path, node) in &before_root {
                if !plan.entries().iter().any(|e| e.path().as_str() == path) {
                    assert_eq!(after.get(path), Some(node), "{path} changed");
                }
            }
        }
    }
});
