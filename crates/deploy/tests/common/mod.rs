//! Helpers shared by the integration tests: full snapshots of a tree and
//! plan builders.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use stencil_deploy::{DeployPlan, Expect, RelPath};

/// One node of a tree, as a reader would see it (links not followed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File { bytes: Vec<u8>, mode: u32 },
    Dir { mode: u32 },
    Link { target: PathBuf },
}

/// Every path under `root` (relative), with contents and permission bits.
pub type Snapshot = BTreeMap<PathBuf, Node>;

pub fn snapshot(root: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    if std::fs::symlink_metadata(root).is_ok() {
        walk(root, root, &mut out);
    }
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let rel = path.strip_prefix(root).unwrap().to_path_buf();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            out.insert(rel, Node::Link { target });
        } else if meta.is_dir() {
            out.insert(rel, Node::Dir { mode });
            walk(root, &path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            out.insert(rel, Node::File { bytes, mode });
        }
    }
}

/// A plan of `n` files spread over about one directory per `per_dir` files,
/// contents tagged with `tag` so that old and new trees differ.
pub fn spread_plan(root: &Path, n: usize, per_dir: usize, tag: &str) -> DeployPlan {
    let mut plan = DeployPlan::new(root);
    for i in 0..n {
        let path = format!("d{}/sub{}/f{i}.md", i / per_dir, i / (per_dir * 4));
        let mode = if i % 7 == 0 { Some(0o755) } else { None };
        plan.add(
            RelPath::new(&path).unwrap(),
            format!("{tag} {i}\n").repeat(1 + i % 5),
            mode,
        )
        .unwrap();
    }
    plan
}

/// A plan from `(path, contents)` pairs.
pub fn plan_of(root: &Path, files: &[(&str, &str)]) -> DeployPlan {
    let mut plan = DeployPlan::new(root);
    for (path, contents) in files {
        plan.add(RelPath::new(path).unwrap(), *contents, None)
            .unwrap();
    }
    plan
}

pub fn write(root: &Path, rel: &str, contents: &str) {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, contents).unwrap();
}

pub fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap()
}

pub fn mode(root: &Path, rel: &str) -> u32 {
    std::fs::symlink_metadata(root.join(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

pub fn paths(list: &[RelPath]) -> Vec<&str> {
    list.iter().map(RelPath::as_str).collect()
}

/// The tree a successful deploy of `plan` must leave, under a policy, given
/// the tree before: the model the proptest and crash tests compare with.
pub fn expected_after(before: &Snapshot, plan: &DeployPlan, overwrite: bool) -> Snapshot {
    let mut after = before.clone();
    for entry in plan.entries() {
        let rel = entry.path().as_path().to_path_buf();
        if entry.is_removal() {
            after.remove(&rel);
            continue;
        }
        let exists = before.contains_key(&rel);
        let replaces = match entry.expect() {
            Expect::Policy => overwrite,
            Expect::KeepIfExists => false,
            _ => true,
        };
        if exists && !replaces {
            continue;
        }
        let mut dir = rel.parent();
        while let Some(d) = dir {
            if !d.as_os_str().is_empty() && !after.contains_key(d) {
                after.insert(
                    d.to_path_buf(),
                    Node::Dir {
                        mode: created_dir_mode(),
                    },
                );
            }
            dir = d.parent();
        }
        after.insert(
            rel,
            Node::File {
                bytes: entry.contents().to_vec(),
                mode: entry.effective_mode(),
            },
        );
    }
    after
}

/// The mode deploy gives the directories it creates: 0o755 less the umask,
/// learned by creating one the same way.
pub fn created_dir_mode() -> u32 {
    static MODE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MODE.get_or_init(|| {
        use std::os::unix::fs::DirBuilderExt;
        let dir = tempfile::tempdir().unwrap();
        let probe = dir.path().join("probe");
        std::fs::DirBuilder::new()
            .mode(0o755)
            .create(&probe)
            .unwrap();
        std::fs::metadata(&probe).unwrap().permissions().mode() & 0o7777
    })
}
