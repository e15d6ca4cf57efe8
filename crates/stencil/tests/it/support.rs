//! Helpers shared by the facade's and the CLI's tests (the CLI includes
//! this file with `#[path]`): copying fixture trees, listing files, the
//! plugin fixtures of `testdata/plugins/`.

use std::fs;
#[cfg(unix)]
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// The plugin and marketplace fixtures (`testdata/plugins/`).
pub fn plugin_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/plugins")
        .canonicalize()
        .expect("plugin fixtures")
}

/// A copy of the plugin fixture `name` in `into`, with modes set as the
/// fixture means them (git may not have kept them): `*.sh` 0755, the rest
/// 0644; and the symbolic link the malformed marketplace needs.
#[cfg(unix)]
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
/// `/`-separated relative paths; stencil's state directory (the deployment
/// record and bases) left out.
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
    out.retain(|p| !p.starts_with(".stencil/"));
    out.sort();
    out
}

/// The permission bits of a file.
#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

/// Where each file of the `plugin` fixture lands when its collection is
/// deployed with the claude profile: `(path in the plugin, path in the
/// project)`.
pub const PLUGIN_DEPLOYED: [(&str, &str); 11] = [
    (
        "agents/backend-architect.md",
        ".claude/agents/backend-architect.md",
    ),
    ("commands/scaffold.md", ".claude/commands/scaffold.md"),
    ("commands/db/migrate.md", ".claude/commands/db/migrate.md"),
    (
        "skills/api-design/SKILL.md",
        ".claude/skills/api-design/SKILL.md",
    ),
    (
        "skills/api-design/reference.md",
        ".claude/skills/api-design/reference.md",
    ),
    (
        "skills/api-design/scripts/lint.sh",
        ".claude/skills/api-design/scripts/lint.sh",
    ),
    (
        "hooks/hooks.json",
        ".claude/hooks/backend-development/hooks/hooks.json",
    ),
    (
        "hooks/check.sh",
        ".claude/hooks/backend-development/hooks/check.sh",
    ),
    (
        "scripts/format.sh",
        ".claude/hooks/backend-development/scripts/format.sh",
    ),
    (".mcp.json", ".mcp.json"),
    ("CLAUDE.md", "CLAUDE.md"),
];

/// Asserts that `project` holds exactly the files of [`PLUGIN_DEPLOYED`]
/// (besides stencil's `.stencil/`), each byte-identical to the plugin's
/// file in `src` and with its mode.
#[cfg(unix)]
pub fn assert_deployed_like_the_plugin(src: &Path, project: &Path) {
    let mut deployed = files_under(project);
    deployed.retain(|p| !p.starts_with(".stencil/"));
    let mut want: Vec<String> = PLUGIN_DEPLOYED
        .iter()
        .map(|(_, to)| to.to_string())
        .collect();
    want.sort();
    assert_eq!(deployed, want);
    for (from, to) in PLUGIN_DEPLOYED {
        assert_eq!(
            fs::read(src.join(from)).expect("read"),
            fs::read(project.join(to)).expect("read"),
            "{to} differs from the plugin's {from}"
        );
        assert_eq!(mode(&src.join(from)), mode(&project.join(to)), "{to} mode");
    }
}
