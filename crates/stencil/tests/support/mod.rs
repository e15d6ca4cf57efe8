//! Helpers shared by the facade's and the CLI's tests (the CLI includes
//! this file with `#[path]`): copying fixture trees, listing files.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// The plugin and marketplace fixtures (`tests/fixtures/plugins/`).
pub fn plugin_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../stencil/tests/fixtures/plugins")
        .canonicalize()
        .expect("plugin fixtures")
}

/// A copy of the plugin fixture `name` in `into`, with modes set as the
/// fixture means them (git may not have kept them): `*.sh` 0755, the rest
/// 0644; and the symbolic link the malformed marketplace needs.
pub fn plugin_fixture(name: &str, into: &Path) -> PathBuf {
    let to = into.join(name.rsplit('/').next().expect("name"));
    copy_tree(&plugin_fixtures().join(name), &to);
    for path in files_under(&to) {
        let mode = if path.ends_with(".sh") { 0o755 } else { 0o644 };
        fs::set_permissions(to.join(&path), fs::Permissions::from_mode(mode)).expect("chmod");
    }
    if name == "malformed/marketplace" {
        symlink(to.join("outside-target"), to.join("linked")).expect("symlink");
    }
    to
}

/// Copies a directory tree (regular files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every regular file under `root` (symlinks not followed), as sorted
/// `/`-separated relative paths.
pub fn files_under(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let kind = e.file_type().expect("file type");
            if kind.is_dir() {
                walk(&e.path(), root, out);
            } else if kind.is_file() {
                let rel = e.path().strip_prefix(root).expect("prefix").to_owned();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}
