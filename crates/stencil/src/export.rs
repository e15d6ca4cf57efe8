//! Writing a template back out as a Claude Code plugin, so what is curated
//! in stencil can be shared in the format the ecosystem installs.
//!
//! Each file goes where a plugin keeps it — the inverse of the plugin
//! import (see [`import`](crate::import)):
//!
//! | stored path                          | in the plugin                 |
//! |--------------------------------------|-------------------------------|
//! | `<root>/agents/…`, `<root>/commands/…`, `<root>/skills/…` (`<root>` any of [`KNOWN_ROOTS`]) | `agents/…`, `commands/…`, `skills/…` |
//! | a `hook`'s `.claude/hooks/<plugin>/…` | `…` (its place in the plugin) |
//! | `.mcp.json`                          | `.mcp.json`                   |
//! | `CLAUDE.md`, `AGENTS.md`, `GEMINI.md`, `CLAUDE.local.md`, `.cursorrules` | the same |
//!
//! Anything else (`.claude/rules/…`, `.claude/settings.json`) has no place
//! in a plugin and is refused with [`Error::NoPluginPlace`], naming the
//! artifact and file. Files are written as stored — placeholders intact,
//! modes kept — beside a generated `.claude-plugin/plugin.json`.
//!
//! The plugin is written into a fresh hidden directory beside `dir` and
//! renamed into place: the export appears whole or not at all, and an
//! existing `dir` is never touched ([`Error::ExportExists`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::deploy::{DeployPlan, RelPath};
use crate::import::{PLUGIN_MANIFEST, ROOT_CONTEXT, check_plugin_name};
use crate::profile::KNOWN_ROOTS;
use crate::store::{ArtifactKey, Catalog};
use crate::{EXECUTABLE_MODE, Error};

/// The plugin's metadata; unset fields come from the template's collection
/// (its description and plugin metadata), then from the template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginExportOptions {
    name: Option<String>,
    version: Option<String>,
    description: Option<String>,
}

impl PluginExportOptions {
    /// Everything from the catalogue.
    pub fn new() -> PluginExportOptions {
        PluginExportOptions::default()
    }

    /// The plugin's name (default: the template's collection, else the
    /// template's name).
    pub fn name(mut self, name: impl Into<String>) -> PluginExportOptions {
        self.name = Some(name.into());
        self
    }

    /// The plugin's version (default: the collection's; author, license and
    /// homepage always come from the collection).
    pub fn version(mut self, version: impl Into<String>) -> PluginExportOptions {
        self.version = Some(version.into());
        self
    }

    /// The plugin's description (default: the template's, else the
    /// collection's).
    pub fn description(mut self, description: impl Into<String>) -> PluginExportOptions {
        self.description = Some(description.into());
        self
    }
}

/// What [`export_plugin`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PluginExport {
    /// The plugin directory.
    pub dir: PathBuf,
    /// The plugin's name.
    pub name: String,
    /// Artifacts exported.
    pub artifacts: usize,
    /// Files written, paths inside the plugin, sorted (the manifest
    /// included).
    pub files: Vec<String>,
    /// Their total size.
    pub bytes: u64,
}

/// Writes template `template` as a plugin directory `dir` (which must not
/// exist): every entity's files where a plugin keeps them, and a generated
/// `.claude-plugin/plugin.json`. Importing `dir` gives back the same
/// artifacts (for artifacts that came from a plugin of the same name: same
/// keys, files, modes and descriptions).
///
/// Cost: the template is loaded in its statement budget (≤ 3) plus one
/// collection read; every file is written once.
///
/// # Errors
///
/// [`Error::NoPluginPlace`] for a file a plugin cannot hold,
/// [`Error::ExportExists`] when `dir` exists, [`Error::Export`] when
/// writing fails (nothing is left behind), and catalogue errors.
pub fn export_plugin(
    catalog: &Catalog,
    template: &str,
    dir: impl AsRef<Path>,
    options: &PluginExportOptions,
) -> Result<PluginExport, Error> {
    let dir = dir.as_ref().to_path_buf();
    let loaded = catalog.load_template(template)?;
    let collection = match &loaded.collection {
        Some(name) => Some(catalog.collection(name)?),
        None => None,
    };
    let name = options
        .name
        .clone()
        .or_else(|| loaded.collection.clone())
        .unwrap_or_else(|| loaded.name.clone());
    check_plugin_name(&name).map_err(|reason| Error::PluginName {
        name: name.clone(),
        reason,
    })?;
    let description = options
        .description
        .clone()
        .filter(|d| !d.is_empty())
        .or_else(|| Some(loaded.description.clone()).filter(|d| !d.is_empty()))
        .or_else(|| {
            collection
                .as_ref()
                .map(|c| c.collection.description.clone())
        })
        .unwrap_or_default();
    let meta = collection.map(|c| c.meta).unwrap_or_default();
    let mut manifest = Map::new();
    manifest.insert("name".into(), Value::String(name.clone()));
    if let Some(version) = options.version.clone().or(meta.version) {
        manifest.insert("version".into(), Value::String(version));
    }
    if !description.is_empty() {
        manifest.insert("description".into(), Value::String(description));
    }
    if let Some(author) = meta.author {
        manifest.insert("author".into(), author_object(&author));
    }
    if let Some(license) = meta.license {
        manifest.insert("license".into(), Value::String(license));
    }
    if let Some(homepage) = meta.homepage {
        manifest.insert("homepage".into(), Value::String(homepage));
    }
    let mut text =
        serde_json::to_vec_pretty(&Value::Object(manifest)).map_err(|e| Error::Export {
            dir: dir.clone(),
            what: "cannot write the manifest",
            source: io::Error::other(e),
        })?;
    text.push(b'\n');

    // A plan checks what a plugin directory must not hold: two files on
    // one path (also after case folding), a file where a folder goes.
    let mut plan = DeployPlan::new(&dir);
    let mut add = |path: &str, content: Vec<u8>, executable: bool, owner: String| {
        let rel = RelPath::new(path).map_err(|source| Error::Path {
            artifact: owner,
            path: path.to_string(),
            source,
        })?;
        plan.add(rel, content, executable.then_some(EXECUTABLE_MODE))?;
        Ok::<_, Error>(())
    };
    add(PLUGIN_MANIFEST, text, false, format!("plugin {name}"))?;
    for entity in &loaded.entities {
        for file in &entity.files {
            let Some(path) = plugin_path(&entity.artifact, &file.path) else {
                return Err(Error::NoPluginPlace {
                    artifact: entity.artifact.to_string(),
                    path: file.path.clone(),
                });
            };
            add(
                &path,
                file.content.clone(),
                file.executable,
                entity.artifact.to_string(),
            )?;
        }
    }
    write_new_dir(&dir, &plan)?;
    let mut files: Vec<String> = plan
        .entries()
        .iter()
        .map(|e| e.path().as_str().to_string())
        .collect();
    files.sort();
    Ok(PluginExport {
        dir,
        name,
        artifacts: loaded.entities.len(),
        bytes: plan
            .entries()
            .iter()
            .map(|e| e.contents().len() as u64)
            .sum(),
        files,
    })
}

/// `Name <email>` (as the import stores an author object) back to
/// `{"name": …, "email": …}`.
fn author_object(author: &str) -> Value {
    let mut object = Map::new();
    match author.strip_suffix('>').and_then(|a| a.rsplit_once(" <")) {
        Some((name, email)) => {
            object.insert("name".into(), Value::String(name.to_string()));
            object.insert("email".into(), Value::String(email.to_string()));
        }
        None => {
            object.insert("name".into(), Value::String(author.to_string()));
        }
    }
    Value::Object(object)
}

/// Where a stored file goes in a plugin, if anywhere (see the module docs).
fn plugin_path(key: &ArtifactKey, stored: &str) -> Option<String> {
    let path = stored.trim_start_matches("./");
    if key.kind() == "hook" {
        let rest = path.strip_prefix(".claude/hooks/")?;
        return rest.split_once('/').map(|(_, inside)| inside.to_string());
    }
    if path == ".mcp.json" || ROOT_CONTEXT.contains(&path) {
        return Some(path.to_string());
    }
    KNOWN_ROOTS.iter().find_map(|root| {
        let rest = path.strip_prefix(root)?.strip_prefix('/')?;
        ["agents/", "commands/", "skills/"]
            .iter()
            .any(|folder| rest.starts_with(folder))
            .then(|| rest.to_string())
    })
}

/// Writes `files` into a new directory beside `dir`, then renames it to
/// `dir`: all or nothing.
fn write_new_dir(dir: &Path, plan: &DeployPlan) -> Result<(), Error> {
    if fs::symlink_metadata(dir).is_ok() {
        return Err(Error::ExportExists {
            dir: dir.to_path_buf(),
        });
    }
    let fail = |what: &'static str| {
        move |source: io::Error| Error::Export {
            dir: dir.to_path_buf(),
            what,
            source,
        }
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(fail("cannot create its parent directory"))?;
    // Dropped (and removed) on any error below.
    let staging = tempfile::Builder::new()
        .prefix(".stencil-export-")
        .tempdir_in(&parent)
        .map_err(fail("cannot create a staging directory beside it"))?;
    for entry in plan.entries() {
        let target = staging.path().join(entry.path().as_str());
        if let Some(folder) = target.parent() {
            fs::create_dir_all(folder).map_err(fail("cannot create a folder"))?;
        }
        let bytes = entry
            .contents()
            .bytes()
            .map_err(fail("cannot read a file's contents"))?;
        fs::write(&target, &bytes).map_err(fail("cannot write a file"))?;
        set_mode(&target, entry.effective_mode()).map_err(fail("cannot set a file's mode"))?;
    }
    set_dir_mode(staging.path()).map_err(fail("cannot set the directory's mode"))?;
    fs::rename(staging.path(), dir).map_err(fail("cannot move the plugin into place"))?;
    // Renamed away: nothing left to remove.
    let _ = staging.keep();
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// `tempdir` makes 0700 directories; a shared plugin is readable.
#[cfg(unix)]
fn set_dir_mode(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn set_dir_mode(_path: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_paths_map_to_plugin_paths() {
        let at = |k: &str, p: &str| plugin_path(&ArtifactKey::parse(k).unwrap(), p);
        assert_eq!(
            at("agent:p/a", ".claude/agents/a.md").as_deref(),
            Some("agents/a.md")
        );
        assert_eq!(
            at("skill:s", ".agents/skills/s/SKILL.md").as_deref(),
            Some("skills/s/SKILL.md")
        );
        assert_eq!(
            at("hook:p", ".claude/hooks/p/scripts/x.sh").as_deref(),
            Some("scripts/x.sh")
        );
        assert_eq!(at("mcp:p", ".mcp.json").as_deref(), Some(".mcp.json"));
        assert_eq!(
            at("context_file:p/CLAUDE.md", "CLAUDE.md").as_deref(),
            Some("CLAUDE.md")
        );
        assert_eq!(at("rule_file:api", ".claude/rules/api.md"), None);
        assert_eq!(at("context_file:README.md", "README.md"), None);
        assert_eq!(at("hook:p", ".claude/settings.json"), None);
    }
}
