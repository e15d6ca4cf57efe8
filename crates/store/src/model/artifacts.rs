//! What an artifact is stored from and read back as.

use super::names::ArtifactKey;

/// One file of an artifact to store.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

    /// Sets whether the file is deployed with the executable bit.
    pub fn executable(mut self, executable: bool) -> Self {
        self.executable = executable;
        self
    }

    /// Sets whether the file is deployed byte for byte, unrendered.
    pub fn verbatim(mut self, verbatim: bool) -> Self {
        self.verbatim = verbatim;
        self
    }
}

/// An artifact to create or update with [`Catalog::put_artifact`](crate::Catalog::put_artifact)
/// or [`Catalog::import`](crate::Catalog::import).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
pub struct ImportReport {
    /// Newly created artifacts.
    pub created: Vec<ArtifactKey>,
    /// Existing artifacts that changed.
    pub updated: Vec<ArtifactKey>,
    /// Existing artifacts left as they were.
    pub unchanged: Vec<ArtifactKey>,
}
