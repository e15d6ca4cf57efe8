//! Helpers shared by the integration tests: full snapshots of a tree and
//! plan builders.
#![allow(dead_code)]

use std::collections::BTreeMap;
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
        let mode = os::mode_of(&meta);
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
    os::mode_of(&std::fs::symlink_metadata(root.join(rel)).unwrap())
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
                bytes: entry.contents().bytes().expect("in memory").to_vec(),
                mode: os::file_mode(entry.effective_mode()),
            },
        );
    }
    after
}

/// Windows has no permission bits: every mode reads as 0.
#[cfg(windows)]
pub fn created_dir_mode() -> u32 {
    0
}

/// The mode deploy gives the directories it creates: 0o755 less the umask,
/// learned by creating one the same way.
#[cfg(unix)]
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
        os::mode_of(&std::fs::metadata(&probe).unwrap())
    })
}

/// The few calls the tests make that differ between Unix and Windows.
/// Windows has no permission bits (modes read as 0 and are not set) and
/// needs to know whether a link points to a directory.
pub mod os {
    use std::path::Path;

    // Not every test file plants links.
    #[cfg(unix)]
    #[allow(unused_imports)]
    pub use std::os::unix::fs::symlink;

    /// A symbolic link at `link` to `target` (relative to the link's
    /// directory, as on Unix); a directory link if the target is one.
    #[cfg(windows)]
    #[allow(dead_code)]
    pub fn symlink(target: impl AsRef<Path>, link: impl AsRef<Path>) -> std::io::Result<()> {
        let (target, link) = (target.as_ref(), link.as_ref());
        let resolved = link
            .parent()
            .map(|p| p.join(target))
            .unwrap_or(target.into());
        if std::fs::metadata(resolved).is_ok_and(|m| m.is_dir()) {
            std::os::windows::fs::symlink_dir(target, link)
        } else {
            std::os::windows::fs::symlink_file(target, link)
        }
    }

    /// Permission bits of `meta` (0 on Windows).
    pub fn mode_of(meta: &std::fs::Metadata) -> u32 {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            meta.permissions().mode() & 0o7777
        }
        #[cfg(windows)]
        {
            let _ = meta;
            0
        }
    }

    /// The mode a file deployed with `mode` reads back as.
    pub fn file_mode(mode: u32) -> u32 {
        if cfg!(unix) { mode } else { 0 }
    }

    /// Set permission bits (nothing on Windows).
    pub fn set_mode(path: impl AsRef<Path>, mode: u32) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        }
        #[cfg(windows)]
        {
            let _ = (path, mode);
            Ok(())
        }
    }
}
