//! Reading one plugin folder and assigning its files to artifacts.
//!
//! | path in the plugin                 | artifact                          | deploys to                        |
//! |------------------------------------|-----------------------------------|-----------------------------------|
//! | `skills/<name>/**`                 | `skill:<plugin>/<name>`           | `.claude/skills/<name>/**`        |
//! | `commands/**/*.md`                 | `command:<plugin>/<path>`         | `.claude/commands/<path>.md`      |
//! | `agents/**/*.md`                   | `agent:<plugin>/<path>`           | `.claude/agents/<path>.md`        |
//! | `hooks/hooks.json`, `hooks/**`, and every file it names as `${CLAUDE_PLUGIN_ROOT}/…` | `hook:<plugin>` | `.claude/hooks/<plugin>/<path in the plugin>` |
//! | `.mcp.json`                        | `mcp:<plugin>`                    | `.mcp.json`                       |
//! | `CLAUDE.md`, `AGENTS.md`, …        | `context_file:<plugin>/<file>`    | `<file>`                          |
//!
//! Custom `commands`, `agents` and `skills` paths of the manifest add to
//! the default folders; `hooks` and `mcpServers` replace the default files
//! (and may be written inline). Everything else in the plugin (`README.md`,
//! `LICENSE`, tests) is listed as skipped, not imported.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde_json::Value;

use super::error::ImportError;
use super::manifest::{
    ConfigSource, PLUGIN_MANIFEST, PluginManifest, TWIN_MANIFESTS, check_plugin_name, inside_path,
    malformed, read_plugin_manifest,
};
use super::report::{ScannedPlugin, ScannedTree, SkipReason, Skipped};
use super::scan::{Found, Placed, join, read_file_error, strip_md, walk};
use crate::store::ArtifactKey;

/// Context files at a plugin's root that are imported (`.mcp.json` is an
/// `mcp` artifact of its own).
pub(crate) const ROOT_CONTEXT: [&str; 5] = [
    "CLAUDE.md",
    "CLAUDE.local.md",
    "AGENTS.md",
    "GEMINI.md",
    ".cursorrules",
];

/// Folders holding plugin metadata, never imported as artifacts.
const METADATA_DIRS: [&str; 3] = [".claude-plugin/", ".codex-plugin/", ".cursor-plugin/"];

/// The environment variable Claude Code sets to the plugin's folder.
const PLUGIN_ROOT_VARS: [&str; 2] = ["${CLAUDE_PLUGIN_ROOT}/", "$CLAUDE_PLUGIN_ROOT/"];

/// Reads the imported directory as one plugin.
pub(super) fn scan_plugin_root(
    dir: &Path,
    mut tree: ScannedTree,
) -> Result<(Vec<Placed>, ScannedTree), ImportError> {
    let (placed, plugin, skipped) = scan_plugin(dir, "", None)?;
    tree.roots.push(".claude".to_string());
    tree.skipped.extend(skipped);
    tree.plugins.push(plugin);
    Ok((placed, tree))
}

/// Reads the plugin at `dir`, whose path inside the imported directory is
/// `prefix`. `entry` is a marketplace's name for it and what the
/// marketplace says about it.
pub(super) fn scan_plugin(
    dir: &Path,
    prefix: &str,
    entry: Option<(&str, &PluginManifest)>,
) -> Result<(Vec<Placed>, ScannedPlugin, Vec<Skipped>), ImportError> {
    let present: Vec<&str> = [PLUGIN_MANIFEST]
        .into_iter()
        .chain(TWIN_MANIFESTS)
        .filter(|m| fs::symlink_metadata(dir.join(m)).is_ok())
        .collect();
    let own = match present.first() {
        Some(m) => Some((*m, read_plugin_manifest(&dir.join(m))?)),
        None => None,
    };
    let twins: Vec<String> = present.iter().skip(1).map(|m| m.to_string()).collect();
    let manifest = merge(dir, own.as_ref().map(|(_, m)| m), entry)?;
    let name = manifest.meta.name.clone();

    let mut found = Vec::new();
    let mut skipped = Vec::new();
    walk(dir, prefix, ".claude", &mut found, &mut skipped)?;
    let by_rel: BTreeMap<&str, &Found> = found.iter().map(|f| (f.rel.as_str(), f)).collect();

    let mut placed = Vec::new();
    let hooks = hook_files(dir, &manifest, &by_rel)?;
    let mcp = mcp_file(dir, &manifest, &by_rel)?;
    let command_dirs = with_default("commands", &manifest.components.commands);
    let agent_dirs = with_default("agents", &manifest.components.agents);
    let skill_dirs = with_default("skills", &manifest.components.skills);
    let used_manifest = own.as_ref().map(|(m, _)| *m);

    for f in &found {
        let rel = f.rel.as_str();
        if METADATA_DIRS.iter().any(|d| rel.starts_with(d)) {
            if Some(rel) != used_manifest && !twins.iter().any(|t| t == rel) {
                skipped.push(Skipped {
                    path: f.tree_path.clone(),
                    reason: SkipReason::PluginMetadata,
                });
            }
            continue;
        }
        let mut claimed = false;
        if hooks.files.contains(rel) {
            placed.push(component(f, "hook", &name, &hooks.target(&name, rel))?);
            claimed = true;
        }
        if mcp.as_ref().is_some_and(|m| m.path == rel) {
            placed.push(component(f, "mcp", &name, ".mcp.json")?);
            claimed = true;
        }
        if let Some(p) = place_markdown(f, &name, "command", &command_dirs)?
            .or(place_markdown(f, &name, "agent", &agent_dirs)?)
            .or(place_skill(f, &name, &skill_dirs, &by_rel)?)
        {
            placed.push(p);
            claimed = true;
        } else if ROOT_CONTEXT.contains(&rel) {
            let key = key(f, "context_file", format!("{name}/{rel}"))?;
            placed.push(placement(f, key, true, rel));
            claimed = true;
        }
        if !claimed {
            skipped.push(Skipped {
                path: f.tree_path.clone(),
                reason: SkipReason::NotAnArtifact,
            });
        }
    }
    for (inline, kind, target) in [
        (
            hooks.inline,
            "hook",
            format!(".claude/hooks/{name}/hooks/hooks.json"),
        ),
        (mcp.and_then(|m| m.inline), "mcp", ".mcp.json".to_string()),
    ] {
        let Some(content) = inline else { continue };
        let manifest_path = dir.join(used_manifest.unwrap_or(PLUGIN_MANIFEST));
        let found = Found {
            fs_path: manifest_path,
            tree_path: join(prefix, used_manifest.unwrap_or(PLUGIN_MANIFEST)),
            target,
            root: Some(".claude".to_string()),
            rel: String::new(),
            executable: false,
        };
        let mut p = component(&found, kind, &name, &found.target)?;
        p.content = Some(content);
        placed.push(p);
    }
    let artifacts: BTreeSet<ArtifactKey> = placed.iter().map(|p| p.key.clone()).collect();
    let plugin = ScannedPlugin {
        meta: manifest.meta,
        path: prefix.to_string(),
        artifacts: artifacts.into_iter().collect(),
        twins,
    };
    Ok((placed, plugin, skipped))
}

/// The plugin's own manifest, completed by its marketplace entry: the
/// entry's name wins (it is what the marketplace calls the plugin and what
/// users install), the manifest's metadata wins where it has a value, and
/// component paths of both apply. Without either, the folder's name is the
/// plugin's name, as Claude Code does.
fn merge(
    dir: &Path,
    own: Option<&PluginManifest>,
    entry: Option<(&str, &PluginManifest)>,
) -> Result<PluginManifest, ImportError> {
    let mut merged = match (own, entry) {
        (Some(own), _) => own.clone(),
        (None, Some((_, listed))) => listed.clone(),
        (None, None) => {
            let folder = dir
                .canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_default();
            check_plugin_name(&folder).map_err(|reason| {
                malformed(
                    &dir.join(PLUGIN_MANIFEST),
                    "name",
                    format!("missing (no manifest), and the folder name will not do: {reason}"),
                )
            })?;
            let mut m = PluginManifest::default();
            m.meta.name = folder;
            m
        }
    };
    if let (Some(_), Some((name, listed))) = (own, entry) {
        let (meta, extra) = (&mut merged.meta, &listed.meta);
        meta.name = name.to_string();
        meta.version = meta.version.take().or(extra.version.clone());
        if meta.description.is_empty() {
            meta.description = extra.description.clone();
        }
        meta.author = meta.author.take().or(extra.author.clone());
        meta.license = meta.license.take().or(extra.license.clone());
        meta.homepage = meta.homepage.take().or(extra.homepage.clone());
        let (c, e) = (&mut merged.components, &listed.components);
        c.commands.extend(e.commands.iter().cloned());
        c.agents.extend(e.agents.iter().cloned());
        c.skills.extend(e.skills.iter().cloned());
        c.hooks = c.hooks.take().or(e.hooks.clone());
        c.mcp = c.mcp.take().or(e.mcp.clone());
    }
    Ok(merged)
}

fn with_default(default: &str, custom: &[String]) -> Vec<String> {
    let mut dirs = vec![default.to_string()];
    dirs.extend(custom.iter().filter(|c| c.as_str() != default).cloned());
    dirs
}

fn key(f: &Found, kind: &str, name: String) -> Result<ArtifactKey, ImportError> {
    ArtifactKey::new(kind, name).map_err(|e| ImportError::Artifact {
        path: f.fs_path.clone(),
        source: Box::new(e),
    })
}

fn placement(f: &Found, key: ArtifactKey, main: bool, target: &str) -> Placed {
    let mut found = f.clone();
    found.target = target.to_string();
    Placed {
        source: found.tree_path.clone(),
        origin: None,
        found,
        key,
        main,
        verbatim: false,
        content: None,
    }
}

/// A hook or MCP file: stored verbatim, since it is executed rather than
/// read, and a `{{VARIABLE}}` substituted into a shell command is an
/// injection.
fn component(f: &Found, kind: &str, name: &str, target: &str) -> Result<Placed, ImportError> {
    let key = key(f, kind, name.to_string())?;
    let mut p = placement(f, key, false, target);
    p.verbatim = true;
    Ok(p)
}

/// A command or agent: a Markdown file under one of `dirs`, or one of
/// `dirs` itself when the manifest names a single file.
fn place_markdown(
    f: &Found,
    plugin: &str,
    kind: &str,
    dirs: &[String],
) -> Result<Option<Placed>, ImportError> {
    if !f.rel.ends_with(".md") {
        return Ok(None);
    }
    let folder = if kind == "command" {
        "commands"
    } else {
        "agents"
    };
    for dir in dirs {
        let under = if f.rel == *dir {
            dir.rsplit('/').next().unwrap_or(dir)
        } else if let Some(under) = f.rel.strip_prefix(&format!("{dir}/")) {
            under
        } else {
            continue;
        };
        let key = key(f, kind, format!("{plugin}/{}", strip_md(under)))?;
        return Ok(Some(placement(
            f,
            key,
            true,
            &format!(".claude/{folder}/{under}"),
        )));
    }
    Ok(None)
}

/// A skill file: under `<dir>/<name>/` for a folder of skills, or under
/// `<dir>/` when `<dir>` is itself a skill (holds a `SKILL.md`).
fn place_skill(
    f: &Found,
    plugin: &str,
    dirs: &[String],
    by_rel: &BTreeMap<&str, &Found>,
) -> Result<Option<Placed>, ImportError> {
    for dir in dirs {
        let Some(under) = f.rel.strip_prefix(&format!("{dir}/")) else {
            continue;
        };
        let is_skill =
            by_rel.contains_key(format!("{dir}/SKILL.md").as_str()) && dir.as_str() != "skills";
        let (skill, rest) = if is_skill {
            (dir.rsplit('/').next().unwrap_or(dir), under)
        } else {
            match under.split_once('/') {
                Some(split) => split,
                // A file directly in a folder of skills is no skill's.
                None => continue,
            }
        };
        let key = key(f, "skill", format!("{plugin}/{skill}"))?;
        let mut p = placement(
            f,
            key,
            rest.eq_ignore_ascii_case("SKILL.md"),
            &format!(".claude/skills/{skill}/{rest}"),
        );
        p.source = match f.tree_path.strip_suffix(&format!("/{rest}")) {
            Some(folder) => folder.to_string(),
            None => f.tree_path.clone(),
        };
        return Ok(Some(p));
    }
    Ok(None)
}

/// The files of a plugin's hook artifact.
#[derive(Default)]
struct HookFiles {
    /// Paths in the plugin.
    files: BTreeSet<String>,
    /// The configuration, when written inline in the manifest.
    inline: Option<Vec<u8>>,
}

impl HookFiles {
    /// Hooks keep their places relative to the plugin root under
    /// `.claude/hooks/<plugin>/`, so `${CLAUDE_PLUGIN_ROOT}` in their
    /// commands means that folder.
    fn target(&self, plugin: &str, rel: &str) -> String {
        format!(".claude/hooks/{plugin}/{rel}")
    }
}

/// The hook configuration (the manifest's `hooks`, else
/// `hooks/hooks.json`), every file beside it in `hooks/`, and every file
/// its commands name through `${CLAUDE_PLUGIN_ROOT}`: a hook is reviewed
/// and deployed with the scripts it runs.
fn hook_files(
    dir: &Path,
    manifest: &PluginManifest,
    by_rel: &BTreeMap<&str, &Found>,
) -> Result<HookFiles, ImportError> {
    let mut hooks = HookFiles::default();
    let (config_path, config_rel, content) = match &manifest.components.hooks {
        Some(ConfigSource::Inline(text)) => {
            hooks.inline = Some(text.clone());
            (dir.join(PLUGIN_MANIFEST), None, text.clone())
        }
        Some(ConfigSource::File(rel)) => {
            let Some(found) = by_rel.get(rel.as_str()) else {
                return Err(malformed(
                    &dir.join(PLUGIN_MANIFEST),
                    "hooks",
                    format!("names `{rel}`, which is not a regular file in the plugin"),
                ));
            };
            let content = fs::read(&found.fs_path).map_err(read_file_error(&found.fs_path))?;
            (found.fs_path.clone(), Some(rel.clone()), content)
        }
        None => match by_rel.get("hooks/hooks.json") {
            Some(found) => {
                let content = fs::read(&found.fs_path).map_err(read_file_error(&found.fs_path))?;
                (found.fs_path.clone(), Some(found.rel.clone()), content)
            }
            None => return Ok(hooks),
        },
    };
    // The `hooks/` folder is the hooks' own: its scripts go with them even
    // when the configuration runs them indirectly.
    if config_rel
        .as_deref()
        .is_none_or(|r| r.starts_with("hooks/"))
    {
        hooks.files.extend(
            by_rel
                .keys()
                .filter(|r| r.starts_with("hooks/"))
                .map(|r| r.to_string()),
        );
    }
    hooks.files.extend(config_rel);
    let value: Value = serde_json::from_slice(&content)
        .map_err(|e| malformed(&config_path, "", format!("invalid JSON: {e}")))?;
    let mut named = Vec::new();
    named_files(&value, "", &mut named);
    for (field, path) in named {
        let rel = inside_path(&path).map_err(|reason| malformed(&config_path, &field, reason))?;
        if !by_rel.contains_key(rel.as_str()) {
            return Err(malformed(
                &config_path,
                &field,
                format!(
                    "runs `${{CLAUDE_PLUGIN_ROOT}}/{path}`, which is not a regular file in the plugin"
                ),
            ));
        }
        hooks.files.insert(rel);
    }
    Ok(hooks)
}

/// Every `${CLAUDE_PLUGIN_ROOT}/path` in the string values of `value`,
/// with the JSON path of the string (`hooks.PostToolUse[0].hooks[0].command`).
fn named_files(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => {
            for var in PLUGIN_ROOT_VARS {
                let mut rest = s.as_str();
                while let Some(i) = rest.find(var) {
                    rest = &rest[i + var.len()..];
                    let end = rest
                        .find(|c: char| c.is_whitespace() || "\"';|&()<>`".contains(c))
                        .unwrap_or(rest.len());
                    if end > 0 {
                        out.push((at.to_string(), rest[..end].to_string()));
                    }
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                named_files(item, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let at = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                named_files(v, &at, out);
            }
        }
        _ => {}
    }
}

/// A plugin's MCP configuration.
struct McpFile {
    /// Its path in the plugin (empty when inline).
    path: String,
    inline: Option<Vec<u8>>,
}

/// The MCP configuration (the manifest's `mcpServers`, else `.mcp.json`),
/// checked to be a JSON object.
fn mcp_file(
    dir: &Path,
    manifest: &PluginManifest,
    by_rel: &BTreeMap<&str, &Found>,
) -> Result<Option<McpFile>, ImportError> {
    let rel = match &manifest.components.mcp {
        Some(ConfigSource::Inline(text)) => {
            return Ok(Some(McpFile {
                path: String::new(),
                inline: Some(text.clone()),
            }));
        }
        Some(ConfigSource::File(rel)) => rel.as_str(),
        None => ".mcp.json",
    };
    let Some(found) = by_rel.get(rel) else {
        if manifest.components.mcp.is_some() {
            return Err(malformed(
                &dir.join(PLUGIN_MANIFEST),
                "mcpServers",
                format!("names `{rel}`, which is not a regular file in the plugin"),
            ));
        }
        return Ok(None);
    };
    let content = fs::read(&found.fs_path).map_err(read_file_error(&found.fs_path))?;
    match serde_json::from_slice::<Value>(&content) {
        Ok(Value::Object(_)) => Ok(Some(McpFile {
            path: rel.to_string(),
            inline: None,
        })),
        Ok(_) => Err(malformed(&found.fs_path, "", "expected a JSON object")),
        Err(e) => Err(malformed(&found.fs_path, "", format!("invalid JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hook_commands_name_their_scripts() {
        let hooks = json!({ "hooks": { "PostToolUse": [ { "hooks": [
            { "type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/hooks/fmt.sh --all" },
            { "type": "command", "command": "python3 \"$CLAUDE_PLUGIN_ROOT/scripts/check.py\"; echo done" },
            { "type": "command", "command": "echo no script" },
        ] } ] } });
        let mut out = Vec::new();
        named_files(&hooks, "", &mut out);
        assert_eq!(
            out,
            [
                (
                    "hooks.PostToolUse[0].hooks[0].command".to_string(),
                    "hooks/fmt.sh".to_string()
                ),
                (
                    "hooks.PostToolUse[0].hooks[1].command".to_string(),
                    "scripts/check.py".to_string()
                ),
            ]
        );
    }
}
