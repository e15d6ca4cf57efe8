//! Reading a marketplace: `.claude-plugin/marketplace.json` and the local
//! plugins it lists.
//!
//! What is fatal and what is skipped: a marketplace manifest that is not
//! valid JSON, has no `name` or no `plugins` array fails the whole import
//! (nothing is stored: there is no list to trust). A bad *entry* — a
//! `source` that escapes the root (`..`, an absolute path) or passes
//! through a symbolic link, a missing folder, a malformed `plugin.json`, a
//! name listed twice — is reported in
//! [`skipped_plugins`](super::TreeImportReport::skipped_plugins) with the
//! file and field at fault, and the other plugins are imported: one broken
//! entry in a 91-plugin marketplace should not block the other 90. An entry
//! with a remote source (a git repository, a URL) is reported the same way;
//! stencil does not fetch.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::error::ImportError;
use super::manifest::{
    FieldError, MARKETPLACE_MANIFEST, PluginManifest, field_error, inside_path, malformed,
    plugin_manifest, read_json_object, resolve_dir, string, type_name,
};
use super::plugin::scan_plugin;
use super::report::{ScannedTree, SkippedPlugin};
use super::scan::Placed;

/// Where a marketplace entry's plugin lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PluginSource {
    /// A folder inside the marketplace, relative to its root, checked.
    Local(String),
    /// Somewhere else (`github`, `url`, `git-subdir`, `npm`, …): not
    /// fetched; the entry is reported as skipped.
    Remote(String),
}

/// One plugin a marketplace lists, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MarketplaceEntry {
    /// Position in `plugins`, for messages (`plugins[3]`).
    pub index: usize,
    /// The entry's `name` (or `plugins[N]` when it has none).
    pub name: String,
    /// Where the plugin is, or why it cannot be used.
    pub source: Result<PluginSource, String>,
    /// The entry's own metadata and components: the whole manifest of a
    /// `strict: false` plugin, and what fills the gaps of a plugin whose
    /// own manifest leaves fields out.
    pub manifest: Result<PluginManifest, String>,
}

/// A marketplace manifest, read and checked as a whole; entries are
/// checked one by one (a bad entry is skipped, not fatal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MarketplaceManifest {
    pub name: String,
    pub entries: Vec<MarketplaceEntry>,
}

/// Reads and checks a marketplace manifest. The file itself, its `name`
/// and its `plugins` array must be sound (else the whole import fails);
/// each entry is checked on its own and carries its problems with it.
fn read_marketplace_manifest(file: &Path) -> Result<MarketplaceManifest, ImportError> {
    let map = read_json_object(file)?;
    let name = match map.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        None | Some(Value::Null) => return Err(malformed(file, "name", "missing")),
        Some(v) => {
            return Err(malformed(
                file,
                "name",
                format!("expected a non-empty string, found {}", type_name(v)),
            ));
        }
    };
    let plugin_root = match map.get("metadata").and_then(|m| m.get("pluginRoot")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(inside_path(s).map_err(|reason| malformed(file, "metadata.pluginRoot", reason))?)
        }
        Some(v) => {
            return Err(malformed(
                file,
                "metadata.pluginRoot",
                format!("expected a path, found {}", type_name(v)),
            ));
        }
    };
    let plugins = match map.get("plugins") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => {
            return Err(malformed(
                file,
                "plugins",
                "missing; a marketplace lists its plugins in a `plugins` array",
            ));
        }
        Some(v) => {
            return Err(malformed(
                file,
                "plugins",
                format!("expected an array, found {}", type_name(v)),
            ));
        }
    };
    let entries = plugins
        .iter()
        .enumerate()
        .map(|(index, value)| marketplace_entry(index, value, plugin_root.as_deref()))
        .collect();
    Ok(MarketplaceManifest { name, entries })
}

fn marketplace_entry(index: usize, value: &Value, plugin_root: Option<&str>) -> MarketplaceEntry {
    let prefix = format!("plugins[{index}].");
    let Value::Object(map) = value else {
        let reason = format!(
            "field `plugins[{index}]`: expected an object, found {}",
            type_name(value)
        );
        return MarketplaceEntry {
            index,
            name: format!("plugins[{index}]"),
            source: Err(reason.clone()),
            manifest: Err(reason),
        };
    };
    let name = map
        .get("name")
        .and_then(string)
        .unwrap_or_else(|| format!("plugins[{index}]"));
    let describe = |(field, reason): FieldError| format!("field `{field}`: {reason}");
    let manifest = plugin_manifest(map, &prefix).map_err(describe);
    let source = entry_source(map, &prefix, plugin_root).map_err(describe);
    MarketplaceEntry {
        index,
        name,
        source,
        manifest,
    }
}

fn entry_source(
    map: &Map<String, Value>,
    prefix: &str,
    plugin_root: Option<&str>,
) -> Result<PluginSource, FieldError> {
    match map.get("source") {
        None | Some(Value::Null) => Err(field_error(prefix, "source", "missing")),
        Some(Value::String(s)) => {
            let explicit = s.starts_with("./") || s == ".";
            let path = inside_path(s).map_err(|reason| field_error(prefix, "source", reason))?;
            // `pluginRoot` is prepended to bare names (`formatter`), not to
            // paths written relative to the marketplace root (`./x`).
            Ok(PluginSource::Local(match plugin_root {
                Some(root) if !explicit && !root.is_empty() => {
                    if path.is_empty() {
                        root.to_string()
                    } else {
                        format!("{root}/{path}")
                    }
                }
                _ => path,
            }))
        }
        Some(Value::Object(o)) => {
            let kind = o.get("source").and_then(string).unwrap_or_default();
            let place = ["repo", "url", "package"]
                .iter()
                .find_map(|k| o.get(*k).and_then(string))
                .unwrap_or_default();
            Ok(PluginSource::Remote(
                match (kind.is_empty(), place.is_empty()) {
                    (false, false) => format!("{kind} {place}"),
                    (false, true) => kind,
                    (true, false) => place,
                    (true, true) => "an unknown remote source".to_string(),
                },
            ))
        }
        Some(v) => Err(field_error(
            prefix,
            "source",
            format!("expected a path or a source object, found {}", type_name(v)),
        )),
    }
}

/// Reads the imported directory as a marketplace: every entry with a local
/// source is read as a plugin; the others are reported.
pub(super) fn scan_marketplace(
    dir: &Path,
    mut tree: ScannedTree,
) -> Result<(Vec<Placed>, ScannedTree), ImportError> {
    let file = dir.join(MARKETPLACE_MANIFEST);
    let manifest = read_marketplace_manifest(&file)?;
    let file_name = MARKETPLACE_MANIFEST;
    let mut listed: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for entry in &manifest.entries {
        listed.entry(&entry.name).or_default().push(entry.index);
    }
    let mut placed = Vec::new();
    tree.roots.push(".claude".to_string());
    for entry in &manifest.entries {
        let skip = |reason: String, remote: bool| SkippedPlugin {
            name: entry.name.clone(),
            reason,
            remote,
        };
        let places = &listed[entry.name.as_str()];
        if places.len() > 1 {
            let at: Vec<String> = places.iter().map(|i| format!("plugins[{i}]")).collect();
            tree.skipped_plugins.push(skip(
                format!(
                    "{file_name}: `{}` is listed {} times ({}); none of them is imported                      until the marketplace lists it once",
                    entry.name,
                    places.len(),
                    at.join(", ")
                ),
                false,
            ));
            continue;
        }
        let (rel, listing) = match (&entry.source, &entry.manifest) {
            (Err(reason), _) | (_, Err(reason)) => {
                tree.skipped_plugins
                    .push(skip(format!("{file_name}: {reason}"), false));
                continue;
            }
            (Ok(PluginSource::Remote(place)), _) => {
                tree.skipped_plugins.push(skip(
                    format!("remote source ({place}); stencil imports local plugins only"),
                    true,
                ));
                continue;
            }
            (Ok(PluginSource::Local(rel)), Ok(listing)) => (rel, listing),
        };
        let plugin_dir = match resolve_dir(dir, rel) {
            Ok(Some(plugin_dir)) => plugin_dir,
            Ok(None) => {
                tree.skipped_plugins.push(skip(
                    format!(
                        "{file_name}: field `plugins[{}].source`: `{rel}` is not a folder in the marketplace",
                        entry.index
                    ),
                    false,
                ));
                continue;
            }
            Err(reason) => {
                tree.skipped_plugins.push(skip(
                    format!(
                        "{file_name}: field `plugins[{}].source`: {reason}",
                        entry.index
                    ),
                    false,
                ));
                continue;
            }
        };
        match scan_plugin(&plugin_dir, rel, Some((&entry.name, listing))) {
            Ok((more, plugin, skipped)) => {
                placed.extend(more);
                tree.skipped.extend(skipped);
                tree.plugins.push(plugin);
            }
            Err(e) => tree.skipped_plugins.push(skip(e.to_string(), false)),
        }
    }
    tree.plugins.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
    Ok((placed, tree))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marketplace_sources_resolve_against_the_plugin_root() {
        let entry = |v: Value, root: Option<&str>| marketplace_entry(0, &v, root).source;
        assert_eq!(
            entry(json!({ "name": "a", "source": "./plugins/a" }), None),
            Ok(PluginSource::Local("plugins/a".into()))
        );
        assert_eq!(
            entry(json!({ "name": "a", "source": "a" }), Some("plugins")),
            Ok(PluginSource::Local("plugins/a".into()))
        );
        assert_eq!(
            entry(json!({ "name": "a", "source": "./a" }), Some("plugins")),
            Ok(PluginSource::Local("a".into()))
        );
        assert_eq!(
            entry(
                json!({ "name": "a", "source": { "source": "github", "repo": "o/r" } }),
                None
            ),
            Ok(PluginSource::Remote("github o/r".into()))
        );
        let escaped = entry(json!({ "name": "a", "source": "../x" }), None).unwrap_err();
        assert!(
            escaped.starts_with("field `plugins[0].source`"),
            "{escaped}"
        );
        assert!(entry(json!({ "name": "a" }), None).is_err());
    }
}
