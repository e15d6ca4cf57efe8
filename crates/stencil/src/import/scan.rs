//! Reading a tree from disk and mapping its files to artifacts.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::error::ImportError;
use super::layout::{self, Layout};
use super::options::{ImportEvent, ImportOptions};
use super::report::{ScannedTree, SkipReason, Skipped};
use super::{marketplace, plugin};
use crate::KNOWN_ROOTS;
use crate::render::{BINARY_SNIFF_LEN, Renderer};
use crate::store::{ArtifactKey, NewArtifact, NewFile};

/// Files directly in the imported directory that are imported as
/// `context_file` artifacts (other files there are not: a project's
/// `README.md` or `Cargo.toml` is not assistant configuration).
pub const TOP_LEVEL_CONTEXT: &[&str] = &[
    "CLAUDE.md",
    "CLAUDE.local.md",
    "AGENTS.md",
    "GEMINI.md",
    ".cursorrules",
    ".mcp.json",
];

/// Compiles the verbatim globs. `*` also matches `/`, so `*.py` matches a
/// Python file at any depth.
pub(super) fn verbatim_globs(patterns: &[String]) -> Result<GlobSet, ImportError> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        let glob = Glob::new(p).map_err(|e| ImportError::Glob {
            glob: p.clone(),
            reason: e.kind().to_string(),
        })?;
        set.add(glob);
    }
    set.build().map_err(|e| ImportError::Glob {
        glob: patterns.join(" "),
        reason: e.to_string(),
    })
}

/// One regular file found by the walk.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// On disk.
    pub fs_path: PathBuf,
    /// Relative to the imported directory (what verbatim globs match).
    pub tree_path: String,
    /// Where it deploys, relative to the project root.
    pub target: String,
    /// The root folder it is under (`None` for top-level context files).
    pub root: Option<String>,
    /// Path under the root folder (under the plugin root, for a plugin).
    pub rel: String,
    pub executable: bool,
}

/// A found file assigned to an artifact.
#[derive(Debug)]
pub(super) struct Placed {
    pub found: Found,
    pub key: ArtifactKey,
    /// The artifact's main file (its front matter gives the description).
    pub main: bool,
    /// The artifact's source, taken from its first file.
    pub source: String,
    /// Where the artifact comes from (a root folder, a plugin): one key from
    /// two origins is a [`ImportError::Collision`].
    pub origin: Option<String>,
    /// Store byte for byte whatever the globs say (executable content).
    pub verbatim: bool,
    /// The content, when it is not read from `found.fs_path` (a component
    /// written inline in a plugin manifest).
    pub content: Option<Vec<u8>>,
}

pub(super) fn read_dir_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Read {
        what: "directory",
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn read_file_error(path: &Path) -> impl FnOnce(std::io::Error) -> ImportError + '_ {
    move |source| ImportError::Read {
        what: "file",
        path: path.to_path_buf(),
        source,
    }
}

/// Reads the tree at `dir` in the layout `options` asks for (or the one
/// its metadata files show). Nothing is stored.
pub(super) fn scan(dir: &Path, options: &ImportOptions) -> Result<ScannedTree, ImportError> {
    let verbatim = verbatim_globs(options.verbatim_globs())?;
    let meta = fs::symlink_metadata(dir).map_err(read_dir_error(dir))?;
    if !meta.is_dir() {
        return Err(ImportError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let layout = match options.layout_kind() {
        Layout::Auto => layout::detect(dir),
        forced => forced,
    };
    let tree = ScannedTree::empty(dir, layout);
    match layout {
        Layout::Plugin => {
            let (placed, tree) = plugin::scan_plugin_root(dir, tree)?;
            place(placed, &verbatim, options, tree)
        }
        Layout::Marketplace => {
            let (placed, tree) = marketplace::scan_marketplace(dir, tree)?;
            place(placed, &verbatim, options, tree)
        }
        Layout::Auto | Layout::Tree => scan_folders(dir, &verbatim, options, tree),
    }
}

/// Reads a plain tree: root folders (`.claude/`, …) and top-level context
/// files.
fn scan_folders(
    dir: &Path,
    verbatim: &GlobSet,
    options: &ImportOptions,
    mut tree: ScannedTree,
) -> Result<ScannedTree, ImportError> {
    let mut found = Vec::new();
    if let Some(root) = root_name(dir) {
        // DIR is itself the root folder: paths in the tree lack the prefix.
        tree.roots.push(root.clone());
        walk(dir, "", &root, &mut found, &mut tree.skipped)?;
    } else {
        for root in KNOWN_ROOTS {
            let path = dir.join(root);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => tree.skipped.push(Skipped {
                    path: root.to_string(),
                    reason: SkipReason::Symlink,
                }),
                Ok(m) if m.is_dir() => {
                    tree.roots.push(root.to_string());
                    walk(&path, root, root, &mut found, &mut tree.skipped)?;
                }
                _ => {}
            }
        }
        if tree.roots.is_empty() {
            return Err(ImportError::NoRoot {
                path: dir.to_path_buf(),
            });
        }
        for name in TOP_LEVEL_CONTEXT {
            let path = dir.join(name);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => tree.skipped.push(Skipped {
                    path: name.to_string(),
                    reason: SkipReason::Symlink,
                }),
                Ok(m) if m.is_file() => found.push(Found {
                    fs_path: path,
                    tree_path: name.to_string(),
                    target: name.to_string(),
                    root: None,
                    rel: name.to_string(),
                    executable: is_executable(&m),
                }),
                _ => {}
            }
        }
    }
    let placed = found
        .into_iter()
        .map(place_in_tree)
        .collect::<Result<Vec<_>, _>>()?;
    place(placed, verbatim, options, tree)
}

/// Assigns a file of a plain tree to its artifact (see the table in the
/// module docs).
fn place_in_tree(found: Found) -> Result<Placed, ImportError> {
    let (kind, name, main) = classify(found.root.is_some(), &found.rel, &found.target);
    let key = ArtifactKey::new(kind, name).map_err(|e| ImportError::Artifact {
        path: found.fs_path.clone(),
        source: Box::new(e),
    })?;
    let source = match found.root.as_deref() {
        Some(root) if kind == "skill" => format!("{root}/skills/{}", key.name()),
        _ => found.tree_path.clone(),
    };
    Ok(Placed {
        origin: found.root.clone(),
        found,
        key,
        main,
        source,
        verbatim: false,
        content: None,
    })
}

/// The root folder's name if `dir` itself is one (`.claude`, …).
fn root_name(dir: &Path) -> Option<String> {
    let name = match dir.file_name() {
        Some(name) => name.to_os_string(),
        // `.` or `..`: look at what it resolves to.
        None => fs::canonicalize(dir).ok()?.file_name()?.to_os_string(),
    };
    let name = name.to_str()?;
    KNOWN_ROOTS.contains(&name).then(|| name.to_string())
}

/// Collects the regular files under `dir`, in name order, without following
/// links. `prefix` is `dir`'s path inside the imported tree.
pub(super) fn walk(
    dir: &Path,
    prefix: &str,
    root: &str,
    found: &mut Vec<Found>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), ImportError> {
    let mut stack = vec![(dir.to_path_buf(), prefix.to_string(), String::new())];
    while let Some((dir, prefix, rel_prefix)) = stack.pop() {
        let mut entries = fs::read_dir(&dir)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(read_dir_error(&dir))?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(ImportError::NonUtf8Name { path });
            };
            let tree_path = join(&prefix, name);
            let rel = join(&rel_prefix, name);
            // `DirEntry::file_type` does not follow symbolic links.
            let kind = entry.file_type().map_err(read_file_error(&path))?;
            if kind.is_symlink() {
                skipped.push(Skipped {
                    path: tree_path,
                    reason: SkipReason::Symlink,
                });
            } else if kind.is_dir() {
                subdirs.push((path, tree_path, rel));
            } else if kind.is_file() {
                let meta = entry.metadata().map_err(read_file_error(&path))?;
                found.push(Found {
                    fs_path: path,
                    tree_path,
                    target: join(root, &rel),
                    root: Some(root.to_string()),
                    rel,
                    executable: is_executable(&meta),
                });
            } else {
                skipped.push(Skipped {
                    path: tree_path,
                    reason: SkipReason::NotRegularFile,
                });
            }
        }
        // Reversed so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

pub(super) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

#[cfg(unix)]
pub(super) fn is_executable(meta: &fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub(super) fn is_executable(_meta: &fs::Metadata) -> bool {
    false
}

/// A file read into memory when it is at most this large (and the tree
/// holds less than [`HOLD_TOTAL`]); a larger one is hashed while it is read
/// and stored from disk ([`NewFile::sourced`]), so an import's memory does
/// not grow with the template.
const HOLD_FILE_MAX: u64 = 1 << 20;

/// The file bytes a scanned tree holds at most; once they are reached,
/// further files are hashed and stored from disk.
const HOLD_TOTAL: u64 = 16 << 20;

/// How much of a file stored from disk is kept: its front matter (the
/// description) and the binary sniff ([`BINARY_SNIFF_LEN`]) read it.
const HEAD_LEN: usize = 64 << 10;
const _: () = assert!(HEAD_LEN >= BINARY_SNIFF_LEN);

/// A file as the scan read it.
enum Content {
    /// Read whole.
    Held(Vec<u8>),
    /// Hashed while read, to be read again (and checked) when stored.
    Streamed {
        size: u64,
        hash: [u8; 32],
        /// The first [`HEAD_LEN`] bytes.
        head: Vec<u8>,
    },
}

/// Reads a file whole when it is small and the tree holds little yet
/// (`held` counts what it holds); otherwise hashes it while reading it in
/// pieces and keeps only its head.
fn read_file(path: &Path, held: &mut u64) -> std::io::Result<Content> {
    let mut file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len <= HOLD_FILE_MAX && *held + len <= HOLD_TOTAL {
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        *held += bytes.len() as u64;
        return Ok(Content::Held(bytes));
    }
    let mut hasher = blake3::Hasher::new();
    let mut head = Vec::with_capacity(HEAD_LEN);
    let mut buf = vec![0u8; 64 << 10];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        let room = HEAD_LEN - head.len();
        head.extend_from_slice(&chunk[..room.min(n)]);
        hasher.update(chunk);
        size += n as u64;
    }
    Ok(Content::Streamed {
        size,
        hash: *hasher.finalize().as_bytes(),
        head,
    })
}

/// An artifact being assembled.
struct Draft {
    files: Vec<NewFile>,
    /// The first tree path that mapped to it (for collision messages).
    first: String,
    origin: Option<String>,
    source: String,
    description: String,
}

/// Reads every placed file and groups them into artifacts.
pub(super) fn place(
    placed: Vec<Placed>,
    verbatim: &GlobSet,
    options: &ImportOptions,
    mut tree: ScannedTree,
) -> Result<ScannedTree, ImportError> {
    let total = placed.len();
    options.emit(ImportEvent::Found { files: total });
    let mut drafts: BTreeMap<ArtifactKey, Draft> = BTreeMap::new();
    let mut held = 0u64;
    for (done, p) in placed.into_iter().enumerate() {
        let f = p.found;
        let content = match p.content {
            Some(content) => Content::Held(content),
            None => read_file(&f.fs_path, &mut held).map_err(read_file_error(&f.fs_path))?,
        };
        let (size, head) = match &content {
            Content::Held(bytes) => (bytes.len() as u64, &bytes[..]),
            Content::Streamed { size, head, .. } => (*size, &head[..]),
        };
        tree.files += 1;
        tree.bytes += size;
        options.emit(ImportEvent::Read {
            done: done + 1,
            total,
            path: &f.tree_path,
            bytes: size,
        });
        let is_verbatim = p.verbatim
            || Renderer::is_binary(head)
            || verbatim.is_match(&f.tree_path)
            || verbatim.is_match(&f.target);
        if is_verbatim {
            tree.verbatim.push(f.target.clone());
        }
        let key = p.key;
        let draft = drafts.entry(key.clone()).or_insert_with(|| Draft {
            files: Vec::new(),
            first: f.tree_path.clone(),
            origin: p.origin.clone(),
            source: p.source,
            description: String::new(),
        });
        // Two files of one artifact on one target (a plugin's default and
        // custom folders both holding `a.md`) would be a silent loss.
        if draft.origin != p.origin || draft.files.iter().any(|d| d.path == f.target) {
            return Err(ImportError::Collision {
                artifact: key.to_string(),
                first: draft.first.clone(),
                second: f.tree_path,
            });
        }
        if p.main && draft.description.is_empty() {
            draft.description = frontmatter_description(head).unwrap_or_default();
        }
        let file = match content {
            Content::Held(bytes) => NewFile::new(f.target, bytes),
            Content::Streamed { size, hash, .. } => {
                NewFile::sourced(f.target, size, hash, Arc::new(f.fs_path))
            }
        };
        draft
            .files
            .push(file.executable(f.executable).verbatim(is_verbatim));
    }
    tree.verbatim.sort();
    tree.verbatim.dedup();
    tree.artifacts = drafts
        .into_iter()
        .map(|(key, d)| {
            let mut a = NewArtifact::new(key)
                .description(d.description)
                .source(d.source);
            a.files = d.files;
            a
        })
        .collect();
    Ok(tree)
}

/// Maps a file to `(type, name, is_main_file)`. `rel` is the path under the
/// root folder, `target` the deploy path.
fn classify(in_root: bool, rel: &str, target: &str) -> (&'static str, String, bool) {
    if !in_root {
        return ("context_file", target.to_string(), true);
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let under = |n: usize| parts.get(n..).unwrap_or_default().join("/");
    match parts.as_slice() {
        ["skills", name, rest @ ..] if !rest.is_empty() => {
            let main = rest.len() == 1 && rest[0].eq_ignore_ascii_case("SKILL.md");
            ("skill", (*name).to_string(), main)
        }
        ["commands", _, ..] if rel.ends_with(".md") => ("command", strip_md(&under(1)), true),
        ["agents", _, ..] if rel.ends_with(".md") => ("agent", strip_md(&under(1)), true),
        ["rules", _, ..] => ("rule_file", strip_md(&under(1)), true),
        _ => ("context_file", target.to_string(), true),
    }
}

pub(super) fn strip_md(path: &str) -> String {
    path.strip_suffix(".md").unwrap_or(path).to_string()
}

/// The `description:` of a Markdown file's YAML front matter, if any.
pub(super) fn frontmatter_description(content: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(content);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let mut lines = lines.take_while(|l| l.trim_end() != "---").peekable();
    while let Some(line) = lines.next() {
        let Some(value) = line.strip_prefix("description:") else {
            continue;
        };
        let value = value.trim();
        let value = if value.is_empty() || matches!(value, ">" | "|" | ">-" | "|-") {
            // A folded or literal block: the indented lines that follow.
            let mut block = Vec::new();
            while let Some(next) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
                block.push(next.trim());
            }
            block.join(" ")
        } else {
            value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value)
                .to_string()
        };
        return Some(value).filter(|v| !v.is_empty());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_artifacts() {
        let c = |rel: &str| classify(true, rel, &format!(".claude/{rel}"));
        assert_eq!(
            c("skills/review/SKILL.md"),
            ("skill", "review".into(), true)
        );
        assert_eq!(
            c("skills/review/scripts/run.py"),
            ("skill", "review".into(), false)
        );
        assert_eq!(
            c("commands/git/commit.md"),
            ("command", "git/commit".into(), true)
        );
        assert_eq!(c("agents/tester.md"), ("agent", "tester".into(), true));
        assert_eq!(c("rules/api.md"), ("rule_file", "api".into(), true));
        assert_eq!(
            c("rules/style.mdc"),
            ("rule_file", "style.mdc".into(), true)
        );
        assert_eq!(
            c("commands/run.sh"),
            ("context_file", ".claude/commands/run.sh".into(), true)
        );
        assert_eq!(
            c("settings.json"),
            ("context_file", ".claude/settings.json".into(), true)
        );
        assert_eq!(
            c("skills/README.md"),
            ("context_file", ".claude/skills/README.md".into(), true)
        );
        assert_eq!(
            classify(false, "CLAUDE.md", "CLAUDE.md"),
            ("context_file", "CLAUDE.md".into(), true)
        );
    }

    #[test]
    fn descriptions_come_from_front_matter() {
        let d = |s: &str| frontmatter_description(s.as_bytes());
        assert_eq!(
            d("---\nname: x\ndescription: Review code\n---\nbody"),
            Some("Review code".into())
        );
        assert_eq!(
            d("---\r\ndescription: \"Quoted: yes\"\r\n---\r\n"),
            Some("Quoted: yes".into())
        );
        assert_eq!(
            d("---\ndescription: >\n  Two\n  lines\nname: x\n---\n"),
            Some("Two lines".into())
        );
        assert_eq!(d("# no front matter\ndescription: no\n"), None);
        assert_eq!(d("---\nname: x\n---\ndescription: body\n"), None);
    }

    #[test]
    fn verbatim_globs_match_at_any_depth() -> Result<(), ImportError> {
        let set = verbatim_globs(&["*.py".to_string(), ".claude/rules/**".to_string()])?;
        assert!(set.is_match(".claude/skills/x/scripts/gen.py"));
        assert!(set.is_match(".claude/rules/a/b.md"));
        assert!(!set.is_match(".claude/skills/x/SKILL.md"));
        assert!(matches!(
            verbatim_globs(&["a[".to_string()]),
            Err(ImportError::Glob { glob, .. }) if glob == "a["
        ));
        Ok(())
    }
}
