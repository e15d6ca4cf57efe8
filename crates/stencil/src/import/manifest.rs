//! Reading the metadata files of plugins and marketplaces:
//! `.claude-plugin/plugin.json` and `.claude-plugin/marketplace.json`.
//!
//! Fields are read one by one from a [`serde_json::Value`] rather than
//! through a derived struct, so that every refusal names the file *and* the
//! field (`plugins[2].source`), which a derived deserializer cannot do.
//! Unknown fields are ignored: the formats grow faster than we follow them.

use std::fs;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::error::ImportError;

/// Where a plugin keeps its manifest, relative to the plugin root.
pub const PLUGIN_MANIFEST: &str = ".claude-plugin/plugin.json";

/// Where a marketplace keeps its manifest, relative to its root.
pub const MARKETPLACE_MANIFEST: &str = ".claude-plugin/marketplace.json";

/// Manifests other assistants read for the same plugin ("twins"). They
/// describe the package, not the project, so they are reported, not
/// imported; a plugin that has only a twin is still recognised.
pub const TWIN_MANIFESTS: [&str; 2] = [".codex-plugin/plugin.json", ".cursor-plugin/plugin.json"];

/// The largest metadata file read. Real manifests are a few KiB (the
/// largest public marketplace: ~60 KiB for 91 plugins); anything far bigger
/// is not a manifest.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// What a plugin says about itself: the metadata of the collection it
/// becomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PluginMeta {
    /// The plugin's name: its collection's name and its artifacts'
    /// namespace (`agent:<name>/…`).
    pub name: String,
    /// `version`, as written (usually semver).
    pub version: Option<String>,
    /// `description`.
    pub description: String,
    /// `author`: a string, or the `name` (and `<email>`) of an object.
    pub author: Option<String>,
    /// `license` (an SPDX expression, usually).
    pub license: Option<String>,
    /// `homepage`, or `repository` when there is no homepage.
    pub homepage: Option<String>,
}

/// Where a component (hooks, MCP servers) is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ConfigSource {
    /// A file, relative to the plugin root.
    File(String),
    /// Inline in the manifest: the JSON text to store.
    Inline(Vec<u8>),
}

/// The paths a plugin manifest declares for its components, each relative
/// to the plugin root and checked to stay inside it. Custom `commands`,
/// `agents` and `skills` paths add to the default folders, as Claude Code
/// reads them; `hooks` and `mcpServers` replace the default files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Components {
    pub commands: Vec<String>,
    pub agents: Vec<String>,
    pub skills: Vec<String>,
    pub hooks: Option<ConfigSource>,
    pub mcp: Option<ConfigSource>,
}

/// A plugin manifest, read and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PluginManifest {
    pub meta: PluginMeta,
    pub components: Components,
}

/// A refusal of `file`'s `field`.
pub(super) fn malformed(file: &Path, field: &str, reason: impl Into<String>) -> ImportError {
    ImportError::Metadata {
        file: file.to_path_buf(),
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// Reads `file` as a JSON object. A symbolic link is refused (metadata is
/// never followed out of the tree, like everything else).
pub(super) fn read_json_object(file: &Path) -> Result<Map<String, Value>, ImportError> {
    let meta = fs::symlink_metadata(file).map_err(|source| ImportError::Read {
        what: "file",
        path: file.to_path_buf(),
        source,
    })?;
    if meta.file_type().is_symlink() {
        return Err(malformed(
            file,
            "",
            "it is a symbolic link; metadata files are never followed",
        ));
    }
    if !meta.is_file() {
        return Err(malformed(file, "", "it is not a regular file"));
    }
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(malformed(
            file,
            "",
            format!(
                "it is {} bytes; a manifest is at most {MAX_MANIFEST_BYTES}",
                meta.len()
            ),
        ));
    }
    let bytes = fs::read(file).map_err(|source| ImportError::Read {
        what: "file",
        path: file.to_path_buf(),
        source,
    })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(malformed(
            file,
            "",
            format!("expected a JSON object, found {}", type_name(&other)),
        )),
        Err(e) => Err(malformed(file, "", format!("invalid JSON: {e}"))),
    }
}

/// Reads and checks a plugin manifest.
pub(super) fn read_plugin_manifest(file: &Path) -> Result<PluginManifest, ImportError> {
    let map = read_json_object(file)?;
    plugin_manifest(&map, "").map_err(|(field, reason)| malformed(file, &field, reason))
}

/// A field-level refusal: `(field path, reason)`.
pub(super) type FieldError = (String, String);

pub(super) fn field_error(prefix: &str, field: &str, reason: impl Into<String>) -> FieldError {
    (format!("{prefix}{field}"), reason.into())
}

/// Reads the plugin fields of `map`; `prefix` is prepended to field names
/// in errors (`plugins[2].` inside a marketplace).
pub(super) fn plugin_manifest(
    map: &Map<String, Value>,
    prefix: &str,
) -> Result<PluginManifest, FieldError> {
    let name = match map.get("name") {
        None | Some(Value::Null) => {
            return Err(field_error(
                prefix,
                "name",
                "missing; a plugin needs a name (it becomes the collection and the namespace of its artifacts)",
            ));
        }
        Some(value) => string(value).ok_or_else(|| {
            field_error(
                prefix,
                "name",
                format!("expected a string, found {}", type_name(value)),
            )
        })?,
    };
    check_plugin_name(&name).map_err(|reason| field_error(prefix, "name", reason))?;
    let text = |field: &str| -> Result<Option<String>, FieldError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => string(value).map(Some).ok_or_else(|| {
                field_error(
                    prefix,
                    field,
                    format!("expected a string, found {}", type_name(value)),
                )
            }),
        }
    };
    let author = match map.get("author") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => {
            let name = o.get("name").and_then(string);
            let email = o.get("email").and_then(string);
            match (name, email) {
                (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
                (Some(n), None) => Some(n),
                (None, Some(e)) => Some(e),
                (None, None) => {
                    return Err(field_error(
                        prefix,
                        "author",
                        "an author object needs a `name` or an `email`",
                    ));
                }
            }
        }
        Some(value) => {
            return Err(field_error(
                prefix,
                "author",
                format!("expected a string or an object, found {}", type_name(value)),
            ));
        }
    };
    let homepage = match text("homepage")? {
        Some(h) => Some(h),
        None => text("repository").ok().flatten(),
    };
    let meta = PluginMeta {
        name,
        version: text("version")?,
        description: text("description")?.unwrap_or_default(),
        author,
        license: text("license")?,
        homepage,
    };
    let paths = |field: &str| -> Result<Vec<String>, FieldError> {
        let values: Vec<&Value> = match map.get(field) {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(value) => vec![value],
        };
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let at = if matches!(map.get(field), Some(Value::Array(_))) {
                    format!("{field}[{i}]")
                } else {
                    field.to_string()
                };
                let s = string(v).ok_or_else(|| {
                    field_error(
                        prefix,
                        &at,
                        format!("expected a path, found {}", type_name(v)),
                    )
                })?;
                inside_path(&s).map_err(|reason| field_error(prefix, &at, reason))
            })
            .collect()
    };
    let config = |field: &str| -> Result<Option<ConfigSource>, FieldError> {
        match map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => inside_path(s)
                .map(|p| Some(ConfigSource::File(p)))
                .map_err(|reason| field_error(prefix, field, reason)),
            Some(inline @ Value::Object(_)) => {
                // Stored as the file Claude Code would read, so it deploys
                // and exports like one.
                let wrapped = if field == "hooks" {
                    serde_json::json!({ "hooks": inline })
                } else {
                    serde_json::json!({ "mcpServers": inline })
                };
                let mut text = serde_json::to_vec_pretty(&wrapped)
                    .map_err(|e| field_error(prefix, field, e.to_string()))?;
                text.push(b'\n');
                Ok(Some(ConfigSource::Inline(text)))
            }
            Some(value) => Err(field_error(
                prefix,
                field,
                format!("expected a path or an object, found {}", type_name(value)),
            )),
        }
    };
    let components = Components {
        commands: paths("commands")?,
        agents: paths("agents")?,
        skills: paths("skills")?,
        hooks: config("hooks")?,
        mcp: config("mcpServers")?,
    };
    Ok(PluginManifest { meta, components })
}

/// A plugin name is a collection name and a key prefix: it must not hold a
/// `/` (the namespace separator) or anything a file name cannot.
pub(crate) fn check_plugin_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.len() <= 100;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a plugin name: use 1 to 100 letters, digits, `-`, `_` or `.`, \
             starting with a letter or digit (for example `backend-development`)"
        ))
    }
}

/// Checks that `path` stays inside the root it is relative to and returns
/// it normalised: `./` and `.` components dropped, no trailing `/` (`""`
/// for the root itself).
///
/// Refused: absolute paths, `..` anywhere (even when it would come back
/// inside: a manifest has no reason to write one, and refusing is simpler
/// than proving), backslashes, colons and NUL bytes. A colon is refused on
/// every platform: on Windows a component such as `a:` is a drive, and
/// `root.join("a:")` leaves the root for it (a colon also names an NTFS
/// stream); the deploy's `RelPath` refuses it for the same reasons.
pub(super) fn inside_path(path: &str) -> Result<String, String> {
    if path.contains(':') {
        return Err(format!(
            "`{path}` contains a colon (a drive or stream on Windows); give a path such as `./plugins/name`"
        ));
    }
    if path.contains('\\') {
        return Err(format!(
            "`{path}` contains a backslash; separate components with `/`"
        ));
    }
    if path.contains('\0') {
        return Err(format!("`{path}` contains a NUL byte"));
    }
    let mut parts = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(c) => parts.push(c.to_str().unwrap_or_default().to_string()),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "`{path}` escapes the root with `..`; give a path inside it, such as `./plugins/name`"
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{path}` is absolute; give a path relative to the root, such as `./plugins/name`"
                ));
            }
        }
    }
    Ok(parts.join("/"))
}

/// Resolves `rel` (from [`inside_path`]) under `root`, refusing a symbolic
/// link at any component: a plugin folder (or a folder above it) that is a
/// link could point anywhere on the machine. Returns the path and whether
/// it exists as a directory.
pub(super) fn resolve_dir(root: &Path, rel: &str) -> Result<Option<PathBuf>, String> {
    let mut path = root.to_path_buf();
    let mut walked = String::new();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        path.push(part);
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(part);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "`{walked}` is a symbolic link; plugin folders are never followed through links"
                ));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read `{walked}`: {e}")),
        }
    }
    Ok(fs::symlink_metadata(&path)
        .ok()
        .filter(|m| m.is_dir())
        .map(|_| path))
}

pub(super) fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_string)
}

pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;
    use serde_json::json;

    fn manifest(value: Value) -> Result<PluginManifest, FieldError> {
        match value {
            Value::Object(map) => plugin_manifest(&map, ""),
            _ => unreachable!("tests pass objects"),
        }
    }

    #[test]
    fn paths_stay_inside_the_root() {
        assert_eq!(
            inside_path("./plugins/backend").as_deref(),
            Ok("plugins/backend")
        );
        assert_eq!(inside_path("plugins/x/").as_deref(), Ok("plugins/x"));
        assert_eq!(inside_path("./").as_deref(), Ok(""));
        assert_eq!(inside_path("notes..md").as_deref(), Ok("notes..md"));
        for bad in [
            "../outside",
            "./plugins/../../x",
            "/etc",
            "a\\b",
            "..",
            "a\0b",
            // Drives and streams on Windows: `root.join("a:")` is `a:`.
            "./a:",
            "c:/x",
            "plugins/a:b",
        ] {
            assert!(inside_path(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn plugin_fields_are_read_and_named_when_wrong() {
        let m = manifest(json!({
            "name": "backend-development",
            "version": "1.2.0",
            "description": "Backend work",
            "author": { "name": "Ada", "email": "ada@example.com" },
            "license": "MIT",
            "repository": "https://example.com/repo",
            "commands": ["./extra/commands", "./one.md"],
            "agents": "./custom/agents/",
            "hooks": { "Stop": [] },
        }))
        .unwrap();
        assert_eq!(m.meta.name, "backend-development");
        assert_eq!(m.meta.version.as_deref(), Some("1.2.0"));
        assert_eq!(m.meta.author.as_deref(), Some("Ada <ada@example.com>"));
        assert_eq!(m.meta.homepage.as_deref(), Some("https://example.com/repo"));
        assert_eq!(m.components.commands, ["extra/commands", "one.md"]);
        assert_eq!(m.components.agents, ["custom/agents"]);
        assert!(matches!(m.components.hooks, Some(ConfigSource::Inline(_))));

        let field = |v: Value| manifest(v).unwrap_err().0;
        assert_eq!(field(json!({ "version": "1" })), "name");
        assert_eq!(field(json!({ "name": 3 })), "name");
        assert_eq!(field(json!({ "name": "a/b" })), "name");
        assert_eq!(field(json!({ "name": "x", "version": 1 })), "version");
        assert_eq!(field(json!({ "name": "x", "author": [] })), "author");
        assert_eq!(
            field(json!({ "name": "x", "commands": ["./ok", "../no"] })),
            "commands[1]"
        );
        assert_eq!(
            field(json!({ "name": "x", "mcpServers": "/abs.json" })),
            "mcpServers"
        );
    }

    proptest::proptest! {
        /// An attacker's path: whatever is accepted stays inside the root
        /// (no `..`, not absolute, no empty component, no backslash, no
        /// colon: on Windows `a:` is a drive).
        #[test]
        fn accepted_paths_never_leave_the_root(path in "[./a-z\\\\:]{0,24}") {
            if let Ok(rel) = inside_path(&path) {
                proptest::prop_assert!(!rel.starts_with('/'));
                proptest::prop_assert!(!rel.contains('\\'));
                // `""` is the root itself; otherwise every component is a name.
                for part in rel.split('/').filter(|_| !rel.is_empty()) {
                    proptest::prop_assert!(part != ".." && part != "." && !part.is_empty(), "{rel:?}");
                }
                let root = Path::new("/root/market");
                proptest::prop_assert!(root.join(&rel).starts_with(root));
            }
        }

        /// Any bytes as a manifest: an answer or an error, never a panic.
        #[test]
        fn any_manifest_bytes_are_read_or_refused(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("plugin.json");
            fs::write(&file, &bytes).unwrap();
            match read_plugin_manifest(&file) {
                Ok(m) => proptest::prop_assert!(check_plugin_name(&m.meta.name).is_ok()),
                Err(ImportError::Metadata { .. }) => {}
                Err(e) => proptest::prop_assert!(false, "unexpected error {e}"),
            }
        }

        /// Any JSON object of plugin fields (strings, numbers, arrays,
        /// objects in every field): read or refused naming a field.
        #[test]
        fn any_field_values_are_read_or_refused_by_field(
            values in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(json!(null)),
                    proptest::strategy::Just(json!(3)),
                    proptest::strategy::Just(json!(["./a", "../b"])),
                    proptest::strategy::Just(json!({ "name": "x" })),
                    "[a-z./ -]{0,12}".prop_map(Value::String),
                ],
                7,
            )
        ) {
            let fields = ["name", "version", "author", "homepage", "commands", "skills", "hooks"];
            let mut map = Map::new();
            for (field, value) in fields.iter().zip(values) {
                map.insert(field.to_string(), value);
            }
            if let Err((field, _)) = plugin_manifest(&map, "") {
                proptest::prop_assert!(fields.iter().any(|f| field.starts_with(f)), "{field}");
            }
        }
    }
}
