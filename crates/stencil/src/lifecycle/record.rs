//! The deployment record: what one deploy of one template placed, kept in
//! `.stencil/deployments/<template>.json` and committed with the project.
//!
//! The format is JSON because people read it in code review: fields in a
//! fixed order, files sorted by path, variables sorted by name, one
//! trailing newline, so that two deploys of the same thing write the same
//! bytes and a version-control diff of the record shows only what changed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::deploy::STATE_DIR;
use crate::lifecycle::LifecycleError;

/// The record format this build writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Where records live under [`STATE_DIR`].
pub const DEPLOYMENTS_DIR: &str = "deployments";

/// One template deployed into a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema: u32,
    /// The stencil version that wrote it.
    pub stencil_version: String,
    /// The template's name.
    pub template: String,
    /// Digest of the exact template revision: its variables, entities, their
    /// order and flags, and every file's path, flags and content hash
    /// (`sha256:<hex>`, see [`template_revision`](crate::lifecycle::template_revision)).
    pub revision: String,
    /// Where the template came from.
    pub source: RecordSource,
    /// The path profile (`as-stored`, `.codex`, …).
    pub profile: String,
    /// The entities deployed, when a selection was given (`type:name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Vec<String>>,
    /// Unknown placeholders were left instead of failing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub lenient: bool,
    /// Values of ordinary variables, as used (defaults filled in).
    pub variables: BTreeMap<String, String>,
    /// Names of the variables given as secrets: their values are never
    /// written anywhere by stencil, and are asked for again on update.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Each artifact of the template, in deploy order, with a digest of its
    /// files as deployed.
    pub artifacts: Vec<RecordedArtifact>,
    /// Every managed file, sorted by path.
    pub files: Vec<RecordedFile>,
}

/// Where a deployed template came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordSource {
    /// A stencil catalogue (the only source today; the registry adds one).
    Catalog,
}

/// One artifact of a deployed template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedArtifact {
    /// `type:name`.
    pub key: String,
    /// `sha256:<hex>` over its files' paths, flags and content hashes.
    pub digest: String,
}

/// What kind of content a file holds, which decides how update treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileKind {
    /// Rendered text: diffed and merged line by line.
    Text,
    /// Stored verbatim (not rendered) but text: diffed and merged.
    Verbatim,
    /// Binary: never diffed, never merged.
    Binary,
}

impl FileKind {
    /// Text and verbatim text are merged; binary files never are.
    pub fn is_text(self) -> bool {
        !matches!(self, FileKind::Binary)
    }
}

/// Whether stencil placed the file or found it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Origin {
    /// The file did not exist; stencil created it.
    Created,
    /// The file existed with exactly the rendered content; stencil took it
    /// over without writing.
    Adopted,
    /// The file existed with other content and the overwrite policy replaced it.
    Overwritten,
    /// The file existed with other content and the skip policy left it: it
    /// is not stencil's, and update never writes it.
    Skipped,
}

/// One file of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFile {
    /// Where it is, relative to the project root.
    pub path: String,
    /// The artifact it comes from (`type:name`).
    pub artifact: String,
    /// Its path in the catalogue, before profile and rendering.
    pub source: String,
    /// `sha256` of the bytes stencil rendered for it (lowercase hex): the
    /// base of the next update.
    pub sha256: String,
    /// Size of the rendered bytes.
    pub size: u64,
    /// Permission bits, in octal (`"644"`).
    #[serde(with = "octal")]
    pub mode: u32,
    /// Text, verbatim text or binary.
    pub kind: FileKind,
    /// Created, adopted, overwritten or skipped.
    pub origin: Origin,
    /// Key of the rendered base in the base store (`sha256` of the stored
    /// bytes, which differ from the rendered ones only where a secret was
    /// masked); `None` for binary files, whose content is never merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The user deleted the file and an update kept it deleted (a
    /// tombstone): it is not brought back unless asked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

mod octal {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(mode: &u32, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{mode:o}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        let text = String::deserialize(d)?;
        u32::from_str_radix(&text, 8)
            .ok()
            .filter(|m| m & !0o777 == 0)
            .ok_or_else(|| D::Error::custom(format!("`{text}` is not an octal file mode")))
    }
}

impl DeploymentRecord {
    /// The record as written: pretty JSON, one trailing newline.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain structs of strings and numbers cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        // Grown by doubling: a record of 10,000 files (4 MiB) held up to
        // twice its size until the deploy ends.
        out.shrink_to_fit();
        out
    }

    /// Parses a record, refusing schemas newer than this build understands.
    ///
    /// # Errors
    ///
    /// [`LifecycleError::Record`] naming `path` when the bytes are not a
    /// record or come from a newer stencil.
    pub fn from_json(path: &Path, bytes: &[u8]) -> Result<DeploymentRecord, LifecycleError> {
        let record: DeploymentRecord =
            serde_json::from_slice(bytes).map_err(|e| LifecycleError::Record {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        if record.schema > SCHEMA_VERSION {
            return Err(LifecycleError::Record {
                path: path.to_path_buf(),
                reason: format!(
                    "schema {} is newer than this stencil understands ({SCHEMA_VERSION}); upgrade stencil",
                    record.schema
                ),
            });
        }
        Ok(record)
    }

    /// The file recorded at `path`, if any.
    pub fn file(&self, path: &str) -> Option<&RecordedFile> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Sorts files by path, secrets by name: the stable order the file
    /// format promises.
    pub(crate) fn normalize(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.secrets.sort();
        self.secrets.dedup();
    }
}

/// The record's path relative to the project root:
/// `.stencil/deployments/<template>.json`. Bytes of the name outside
/// `[A-Za-z0-9._-]` are written as `%XX`, so any template name is one safe
/// file name.
pub fn record_rel_path(template: &str) -> String {
    format!("{STATE_DIR}/{DEPLOYMENTS_DIR}/{}.json", file_name(template))
}

fn file_name(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    for b in template.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Every deployment recorded in `project`, sorted by template name. A
/// project without `.stencil/deployments/` has none.
///
/// # Errors
///
/// [`LifecycleError::Io`] when the directory or a record cannot be read,
/// [`LifecycleError::Record`] when a record does not parse.
pub fn read_records(project: &Path) -> Result<Vec<DeploymentRecord>, LifecycleError> {
    let dir = project.join(STATE_DIR).join(DEPLOYMENTS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        // No project yet, or a file where it would be: nothing recorded
        // there (a deploy then reports the file in its own words).
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Vec::new());
        }
        Err(e) => return Err(LifecycleError::io("read directory", dir, e)),
    };
    let mut records = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| LifecycleError::io("read directory", dir.clone(), e))?;
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes =
            std::fs::read(&path).map_err(|e| LifecycleError::io("read", path.clone(), e))?;
        records.push(DeploymentRecord::from_json(&path, &bytes)?);
    }
    records.sort_by(|a, b| a.template.cmp(&b.template));
    Ok(records)
}

/// The record of `template` in `project`, with its raw bytes (the deploy
/// that replaces it checks they are still on disk).
///
/// # Errors
///
/// As [`read_records`]; `Ok(None)` when the template is not deployed there.
pub fn read_record(
    project: &Path,
    template: &str,
) -> Result<Option<(DeploymentRecord, Vec<u8>)>, LifecycleError> {
    let path: PathBuf = project.join(record_rel_path(template));
    match std::fs::read(&path) {
        Ok(bytes) => Ok(Some((DeploymentRecord::from_json(&path, &bytes)?, bytes))),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(LifecycleError::io("read", path, e)),
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Created => "created",
            Origin::Adopted => "adopted",
            Origin::Overwritten => "overwritten",
            Origin::Skipped => "skipped",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DeploymentRecord {
        DeploymentRecord {
            schema: SCHEMA_VERSION,
            stencil_version: "0.1.0".into(),
            template: "web".into(),
            revision: "sha256:00".into(),
            source: RecordSource::Catalog,
            profile: "as-stored".into(),
            selection: None,
            lenient: false,
            variables: [("PROJECT_NAME".to_string(), "rocket".to_string())].into(),
            secrets: vec!["TOKEN".into()],
            artifacts: vec![],
            files: vec![RecordedFile {
                path: "bin/run".into(),
                artifact: "skill:x".into(),
                source: "bin/run".into(),
                sha256: "ab".into(),
                size: 3,
                mode: 0o755,
                kind: FileKind::Text,
                origin: Origin::Created,
                base: Some("ab".into()),
                deleted: false,
            }],
        }
    }

    #[test]
    fn round_trips_with_octal_modes_and_a_trailing_newline() {
        let record = sample();
        let json = record.to_json();
        let text = String::from_utf8(json.clone()).unwrap();
        assert!(text.ends_with("}\n"));
        assert!(text.contains("\"mode\": \"755\""), "{text}");
        assert!(
            !text.contains("deleted"),
            "false flags are left out: {text}"
        );
        assert_eq!(
            DeploymentRecord::from_json(Path::new("r"), &json).unwrap(),
            record
        );
    }

    #[test]
    fn refuses_newer_schemas_and_bad_modes() {
        let mut record = sample();
        record.schema = SCHEMA_VERSION + 1;
        let err = DeploymentRecord::from_json(Path::new("r.json"), &record.to_json()).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
        let text = String::from_utf8(sample().to_json())
            .unwrap()
            .replace("\"755\"", "\"4755\"");
        assert!(DeploymentRecord::from_json(Path::new("r"), text.as_bytes()).is_err());
    }

    #[test]
    fn template_names_become_one_safe_file_name() {
        assert_eq!(record_rel_path("web"), ".stencil/deployments/web.json");
        assert_eq!(record_rel_path("a/b"), ".stencil/deployments/a%2Fb.json");
        assert_eq!(record_rel_path(".x"), ".stencil/deployments/%2Ex.json");
        assert_eq!(record_rel_path("v1.2"), ".stencil/deployments/v1.2.json");
    }
}
