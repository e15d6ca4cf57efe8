//! The values the catalogue takes and returns.
//!
//! Every read returns plain owned data: there are no lazy relationships, so a
//! method's statement budget covers everything its return type holds.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Longest accepted artifact type, name, collection, group, tag or template name.
pub const MAX_NAME_LEN: usize = 200;

/// The largest page a listing returns.
pub const MAX_PAGE_LIMIT: u32 = 500;

/// The natural key of an artifact: `type:name`, for example `skill:review`.
///
/// The type matches `[a-z][a-z0-9_]*` (common ones: `skill`, `command`,
/// `agent`, `rule_file`, `context_file`, `hook`, `mcp`, `workflow`); the name
/// is any non-empty text without control characters or surrounding spaces,
/// and may itself contain `:` (the key splits at the first one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArtifactKey {
    kind: String,
    name: String,
}

impl ArtifactKey {
    /// Builds a key from its type and name, validating both.
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Result<Self> {
        let (kind, name) = (kind.into(), name.into());
        validate_type(&kind)?;
        validate_name("artifact name", &name)?;
        Ok(ArtifactKey { kind, name })
    }

    /// Parses `type:name`.
    pub fn parse(key: &str) -> Result<Self> {
        let Some((kind, name)) = key.split_once(':') else {
            return Err(Error::invalid(
                "artifact key",
                key,
                "expected `type:name`, for example `skill:review`",
            ));
        };
        ArtifactKey::new(kind, name)
    }

    /// The artifact type, for example `skill`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The artifact name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.name)
    }
}

impl FromStr for ArtifactKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ArtifactKey::parse(s)
    }
}

/// Checks an artifact type against `[a-z][a-z0-9_]*`.
pub fn validate_type(kind: &str) -> Result<()> {
    let mut chars = kind.chars();
    let ok = matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && kind.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "artifact type",
            kind,
            "a type is 1 to 64 characters of `[a-z][a-z0-9_]*`, for example `skill` or `rule_file`",
        ))
    }
}

/// Checks a display name (artifact, collection, group, tag, template).
pub(crate) fn validate_name(what: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_NAME_LEN {
        "it is longer than 200 bytes"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else if name.trim() != name {
        "it starts or ends with whitespace"
    } else {
        return Ok(());
    };
    Err(Error::invalid(what, name, reason))
}

/// Checks a template variable name against `[A-Za-z_][A-Za-z0-9_]*`, the
/// placeholder grammar of `stencil-render`.
pub(crate) fn validate_variable(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some('A'..='Z' | 'a'..='z' | '_'))
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "template variable",
            name,
            "a variable name is `[A-Za-z_][A-Za-z0-9_]*`, at most 128 characters",
        ))
    }
}

/// Checks a file's relative target path. Deeper checks (reserved names,
/// symlinks) happen at deploy time in `stencil-deploy`; the catalogue only
/// refuses what can never be a relative path inside a project.
pub(crate) fn validate_file_path(path: &str) -> Result<()> {
    let reason = if path.is_empty() {
        "it is empty"
    } else if path.starts_with('/') || path.starts_with('\\') {
        "it is absolute; give a path relative to the project root"
    } else if path.contains('\0') {
        "it contains a NUL byte"
    } else if path.contains('\\') {
        "it contains a backslash; separate components with `/`"
    } else if path
        .split('/')
        .any(|c| c == ".." || c == "." || c.is_empty())
    {
        "it has an empty, `.` or `..` component"
    } else {
        return Ok(());
    };
    Err(Error::invalid("file path", path, reason))
}

/// One file of an artifact to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    /// Target path relative to the project root; may contain `{{VARIABLES}}`.
    pub path: String,
    /// The content, stored once per hash.
    pub content: Vec<u8>,
    /// Deploy with the executable bit set.
    pub executable: bool,
    /// Deploy byte for byte, without `{{VARIABLE}}` substitution.
    pub verbatim: bool,
}

impl NewFile {
    /// A plain (non-executable, rendered) file.
    pub fn new(path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        NewFile {
            path: path.into(),
            content: content.into(),
            executable: false,
            verbatim: false,
        }
    }
}

/// An artifact to create or update with [`Catalog::put_artifact`](crate::Catalog::put_artifact)
/// or [`Catalog::import`](crate::Catalog::import).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewArtifact {
    /// The `type:name` key.
    pub key: ArtifactKey,
    /// A one-line description; searched by listings.
    pub description: String,
    /// Where the artifact came from (a path or URL), if known.
    pub source: Option<String>,
    /// One or more files; paths must be unique within the artifact.
    pub files: Vec<NewFile>,
    /// Tag names; duplicates are ignored. Replaces the artifact's tags.
    pub tags: Vec<String>,
}

impl NewArtifact {
    /// An artifact with no files yet; add at least one with [`file`](Self::file).
    pub fn new(key: ArtifactKey) -> Self {
        NewArtifact {
            key,
            description: String::new(),
            source: None,
            files: Vec::new(),
            tags: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Sets the source.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Adds a plain file.
    pub fn file(mut self, path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        self.files.push(NewFile::new(path, content));
        self
    }

    /// Adds a file with its flags.
    pub fn with_file(mut self, file: NewFile) -> Self {
        self.files.push(file);
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
}

/// A stored file of an artifact, its content verified against its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactFile {
    /// Target path relative to the project root; may contain `{{VARIABLES}}`.
    pub path: String,
    /// The verified content.
    pub content: Vec<u8>,
    /// BLAKE3 hash of the content, lowercase hex.
    pub hash: String,
    /// Deploy with the executable bit set.
    pub executable: bool,
    /// Deploy byte for byte, without `{{VARIABLE}}` substitution.
    pub verbatim: bool,
}

/// An artifact with its files and tags, as returned by
/// [`Catalog::artifact`](crate::Catalog::artifact).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// The `type:name` key.
    pub key: ArtifactKey,
    /// The description.
    pub description: String,
    /// Where it came from.
    pub source: Option<String>,
    /// Content version, starting at 1, raised whenever the files change.
    pub version: u32,
    /// BLAKE3 digest over the files (paths, flags, hashes), lowercase hex.
    pub digest: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Last change, milliseconds since the Unix epoch.
    pub updated_ms: i64,
    /// Files ordered by path.
    pub files: Vec<ArtifactFile>,
    /// Tag names, sorted.
    pub tags: Vec<String>,
}

/// One content version of an artifact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactVersion {
    /// Version number, from 1.
    pub version: u32,
    /// BLAKE3 digest over the files, lowercase hex.
    pub digest: String,
    /// When this content was first stored, milliseconds since the Unix epoch.
    pub created_ms: i64,
}

/// What [`Catalog::put_artifact`](crate::Catalog::put_artifact) did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// The artifact did not exist and was created.
    Created,
    /// The artifact existed and something changed.
    Updated,
    /// The artifact existed with exactly this content, description, source and tags.
    Unchanged,
}

/// What [`Catalog::import`](crate::Catalog::import) did, all in one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Newly created artifacts.
    pub created: Vec<ArtifactKey>,
    /// Existing artifacts that changed.
    pub updated: Vec<ArtifactKey>,
    /// Existing artifacts left as they were.
    pub unchanged: Vec<ArtifactKey>,
}

/// A collection an artifact belongs to, with the collection's size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionRef {
    /// The collection name.
    pub name: String,
    /// Artifacts in the collection (trigger-maintained column).
    pub artifact_count: u64,
}

/// One row of an [`ArtifactPage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactSummary {
    /// The `type:name` key.
    pub key: ArtifactKey,
    /// The description.
    pub description: String,
    /// Where it came from.
    pub source: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Last change, milliseconds since the Unix epoch.
    pub updated_ms: i64,
    /// Tag names, sorted.
    pub tags: Vec<String>,
    /// Collections holding the artifact, sorted by name.
    pub collections: Vec<CollectionRef>,
}

/// Order of an artifact listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ArtifactSort {
    /// By name, then by insertion (ascending).
    #[default]
    Name,
    /// Most recently updated first.
    RecentlyUpdated,
}

/// Filters, order and page of an artifact listing.
///
/// Filters combine with AND: an artifact must have one of `types` (if any),
/// *all* of `tags`, be in `collection` (if set) and contain `search` in its
/// name or description (ASCII case-insensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactQuery {
    /// Accepted types; empty accepts all.
    pub types: Vec<String>,
    /// Required tags; empty requires none.
    pub tags: Vec<String>,
    /// Only members of this collection.
    pub collection: Option<String>,
    /// Substring of name or description.
    pub search: Option<String>,
    /// Order.
    pub sort: ArtifactSort,
    /// Page size, 1 to 500.
    pub limit: u32,
    /// Where to continue: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Default for ArtifactQuery {
    fn default() -> Self {
        ArtifactQuery {
            types: Vec::new(),
            tags: Vec::new(),
            collection: None,
            search: None,
            sort: ArtifactSort::Name,
            limit: 50,
            cursor: None,
        }
    }
}

impl ArtifactQuery {
    /// All artifacts, by name, 50 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an accepted type.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.types.push(kind.into());
        self
    }

    /// Adds a required tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Restricts to one collection.
    pub fn collection(mut self, name: impl Into<String>) -> Self {
        self.collection = Some(name.into());
        self
    }

    /// Restricts to artifacts whose name or description contains `text`.
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Sets the order.
    pub fn sort(mut self, sort: ArtifactSort) -> Self {
        self.sort = sort;
        self
    }

    /// Sets the page size (1 to 500).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Continues after a previous page.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

/// A page of artifacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactPage {
    /// The artifacts of this page, in the requested order.
    pub items: Vec<ArtifactSummary>,
    /// Pass to [`ArtifactQuery::after`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Counts for a filter: total and by type and tag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facets {
    /// Artifacts matching the filter.
    pub total: u64,
    /// `(type, count)`, sorted by type.
    pub by_type: Vec<(String, u64)>,
    /// `(tag, count)` over the matching artifacts, sorted by tag.
    pub by_tag: Vec<(String, u64)>,
}

/// A tag and how many artifacts carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagCount {
    /// The tag name.
    pub name: String,
    /// Artifacts carrying it.
    pub count: u64,
}

/// One row of a [`CollectionPage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionSummary {
    /// The collection name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Artifacts in it (trigger-maintained).
    pub artifact_count: u64,
    /// Groups in it (trigger-maintained).
    pub group_count: u64,
}

/// A page of collections, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionPage {
    /// The collections.
    pub items: Vec<CollectionSummary>,
    /// Pass to [`Catalog::list_collections`](crate::Catalog::list_collections) for the next page.
    pub next_cursor: Option<String>,
}

/// A group inside a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    /// The group name, unique within its collection.
    pub name: String,
    /// Display position.
    pub position: i64,
    /// Artifacts in the group (trigger-maintained).
    pub artifact_count: u64,
}

/// A collection with its groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionDetail {
    /// The collection and its counts.
    pub collection: CollectionSummary,
    /// Its groups, by position then name.
    pub groups: Vec<GroupSummary>,
}

/// Artifacts added to or removed from a collection or group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MembershipReport {
    /// Artifacts whose membership changed (added, or removed).
    pub changed: Vec<ArtifactKey>,
    /// Artifacts that were already in (when adding) or already out (when removing).
    pub unchanged: Vec<ArtifactKey>,
    /// Keys that name no artifact.
    pub unknown: Vec<ArtifactKey>,
}

/// A variable a template declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VariableDecl {
    /// `[A-Za-z_][A-Za-z0-9_]*`.
    pub name: String,
    /// A deploy must supply a value (unless there is a default).
    pub required: bool,
    /// Value used when none is supplied.
    pub default: Option<String>,
    /// What the variable is for.
    pub description: String,
}

impl VariableDecl {
    /// A required variable without default.
    pub fn required(name: impl Into<String>) -> Self {
        VariableDecl {
            name: name.into(),
            required: true,
            default: None,
            description: String::new(),
        }
    }

    /// An optional variable with a default value.
    pub fn optional(name: impl Into<String>, default: impl Into<String>) -> Self {
        VariableDecl {
            name: name.into(),
            required: false,
            default: Some(default.into()),
            description: String::new(),
        }
    }
}

/// An artifact in a template to be stored: the order of
/// [`TemplateSpec::entities`] is the deploy order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntitySpec {
    /// The artifact.
    pub artifact: ArtifactKey,
    /// A deploy must include it.
    pub required: bool,
}

/// A project template to create or replace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSpec {
    /// Unique template name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The collection the template was built from, if any.
    pub collection: Option<String>,
    /// Artifacts in deploy order.
    pub entities: Vec<EntitySpec>,
    /// Declared variables, in display order.
    pub variables: Vec<VariableDecl>,
}

impl TemplateSpec {
    /// An empty template.
    pub fn new(name: impl Into<String>) -> Self {
        TemplateSpec {
            name: name.into(),
            description: String::new(),
            collection: None,
            entities: Vec::new(),
            variables: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Links the template to a collection.
    pub fn collection(mut self, name: impl Into<String>) -> Self {
        self.collection = Some(name.into());
        self
    }

    /// Appends an artifact (deploy order is the order of calls).
    pub fn entity(mut self, artifact: ArtifactKey, required: bool) -> Self {
        self.entities.push(EntitySpec { artifact, required });
        self
    }

    /// Declares a variable.
    pub fn variable(mut self, variable: VariableDecl) -> Self {
        self.variables.push(variable);
        self
    }
}

/// An artifact of a loaded template, with its files' contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateEntity {
    /// Position in the deploy order, from 0.
    pub deploy_order: u32,
    /// A deploy must include it.
    pub required: bool,
    /// The artifact.
    pub artifact: ArtifactKey,
    /// Its description.
    pub description: String,
    /// Its files, by path, contents verified.
    pub files: Vec<ArtifactFile>,
}

/// A template with everything needed to deploy it, from
/// [`Catalog::load_template`](crate::Catalog::load_template).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Linked collection, if any (and still existing).
    pub collection: Option<String>,
    /// Declared variables, in declaration order.
    pub variables: Vec<VariableDecl>,
    /// Entities in deploy order.
    pub entities: Vec<TemplateEntity>,
}

/// One row of [`Catalog::list_templates`](crate::Catalog::list_templates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateSummary {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Linked collection.
    pub collection: Option<String>,
    /// Number of entities.
    pub entity_count: u64,
}

/// A stored counter or copy that disagrees with the rows it summarises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    /// What disagrees, e.g. `collection docs artifact_count`,
    /// `group docs/setup artifact_count` or `artifact skill:x tag_names`.
    pub what: String,
    /// The stored value, as text (tag names joined by `, `).
    pub stored: String,
    /// The value recomputed from the rows (`GROUP BY` for counts).
    pub actual: String,
}

/// Work done by a catalogue since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// SQL statements run that read or write data (from SQLite's profile hook;
    /// trigger bodies are part of their statement).
    pub statements: u64,
    /// Transaction-control statements (`BEGIN`, `COMMIT`, `ROLLBACK`,
    /// `SAVEPOINT`, `RELEASE`), counted apart so budgets state data statements.
    pub transactions: u64,
    /// Count-cache lookups answered from the cache.
    pub cache_hits: u64,
    /// Count-cache lookups that had to query.
    pub cache_misses: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_as_type_colon_name() {
        let key = ArtifactKey::parse("rule_file:a:b").unwrap();
        assert_eq!((key.kind(), key.name()), ("rule_file", "a:b"));
        assert_eq!(key.to_string(), "rule_file:a:b");
        for bad in [
            "noseparator",
            ":x",
            "Skill:x",
            "9x:y",
            "sk-ill:x",
            "skill:",
            "skill: x",
        ] {
            assert!(ArtifactKey::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn file_paths_reject_escapes_but_accept_dotted_names() {
        for good in [".claude/x.md", "notes..md", "{{NAME}}/a.txt", "a/b/c"] {
            validate_file_path(good).unwrap();
        }
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "..",
            "a//b",
            "a\\b",
            "./a",
            "a\0",
        ] {
            assert!(validate_file_path(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn variable_names_follow_the_placeholder_grammar() {
        for good in ["NAME", "_x", "a1_B"] {
            validate_variable(good).unwrap();
        }
        for bad in ["", "1A", "A-B", "A B"] {
            assert!(validate_variable(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
