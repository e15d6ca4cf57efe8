//! What an artifact is stored from and read back as.

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;

use super::names::ArtifactKey;

/// Where the bytes of a [`NewFile`] made with [`NewFile::sourced`] come
/// from: the catalogue reads them while it stores the file, so an import
/// need not hold a file's content in memory.
///
/// [`open`](Self::open) may be called more than once (or not at all, when
/// the catalogue holds the content already); each call reads the content
/// from its start. The bytes read must have the size and BLAKE3 hash given
/// to [`NewFile::sourced`]: when they do not (the file changed after it
/// was hashed), storing fails with [`Error::SourceChanged`](crate::Error::SourceChanged)
/// and the transaction stores nothing.
///
/// Implemented for [`PathBuf`] (a file on disk, opened read-only).
pub trait BlobSource: Send + Sync {
    /// Opens the content for one read from its start.
    fn open(&self) -> io::Result<Box<dyn Read + '_>>;

    /// What the content is, for error messages (for a file, its path).
    fn describe(&self) -> String;
}

impl BlobSource for PathBuf {
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(std::fs::File::open(self)?))
    }

    fn describe(&self) -> String {
        self.display().to_string()
    }
}

/// The content of a sourced file: its size and hash, known beforehand, and
/// where to read it.
#[derive(Clone)]
pub(crate) struct Sourced {
    pub(crate) size: u64,
    pub(crate) hash: [u8; 32],
    pub(crate) source: Arc<dyn BlobSource>,
}

impl PartialEq for Sourced {
    /// Equal content: the same size and hash (wherever it is read from).
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size && self.hash == other.hash
    }
}

impl Eq for Sourced {}

impl fmt::Debug for Sourced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sourced")
            .field("size", &self.size)
            .field(
                "hash",
                &blake3::Hash::from_bytes(self.hash).to_hex().as_str(),
            )
            .field("source", &self.source.describe())
            .finish()
    }
}

/// One file of an artifact to store.
///
/// Its content is either held ([`NewFile::new`], in [`content`](Self::content))
/// or read by the catalogue while it stores the file ([`NewFile::sourced`]:
/// `content` is empty then, and [`is_sourced`](Self::is_sourced) says so).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NewFile {
    /// Target path relative to the project root; may contain `{{VARIABLES}}`.
    pub path: String,
    /// The content, stored once per hash; empty for a sourced file.
    pub content: Vec<u8>,
    /// Deploy with the executable bit set.
    pub executable: bool,
    /// Deploy byte for byte, without `{{VARIABLE}}` substitution.
    pub verbatim: bool,
    /// Where the content is read from when it is not held.
    pub(crate) sourced: Option<Sourced>,
}

impl NewFile {
    /// A plain (non-executable, rendered) file.
    pub fn new(path: impl Into<String>, content: impl Into<Vec<u8>>) -> Self {
        NewFile {
            path: path.into(),
            content: content.into(),
            executable: false,
            verbatim: false,
            sourced: None,
        }
    }

    /// A plain file whose content the catalogue reads from `source` when it
    /// stores it, in pieces (SQLite) or one file at a time (PostgreSQL), so
    /// the content is not held beforehand. `size` and `hash` (BLAKE3) are
    /// the content's, computed by the caller while it read the content
    /// first; they are checked again when the content is stored, and a
    /// mismatch is [`Error::SourceChanged`](crate::Error::SourceChanged).
    /// When the catalogue holds a blob of that hash already, `source` is
    /// not read at all.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use std::sync::Arc;
    /// use stencil_store::{ArtifactKey, Catalog, Error, NewArtifact, NewFile};
    ///
    /// let dir = tempfile::tempdir()?;
    /// let path: PathBuf = dir.path().join("big.bin");
    /// std::fs::write(&path, b"many bytes")?;
    /// let hash = *blake3::hash(b"many bytes").as_bytes();
    /// let file = NewFile::sourced("data/big.bin", 10, hash, Arc::new(path.clone()));
    /// let key = ArtifactKey::parse("skill:big")?;
    /// let catalog = Catalog::open_in_memory()?;
    /// catalog.import([NewArtifact::new(key.clone()).with_file(file.clone())])?;
    /// assert_eq!(catalog.artifact(&key)?.files[0].content, b"many bytes");
    ///
    /// // Changed since it was hashed: refused, nothing stored.
    /// std::fs::write(&path, b"other bytes")?;
    /// let other = ArtifactKey::parse("skill:other")?;
    /// let err = catalog.import([NewArtifact::new(other.clone()).with_file(
    ///     NewFile::sourced("x.bin", 10, *blake3::hash(b"0123456789").as_bytes(), Arc::new(path)),
    /// )]);
    /// assert!(matches!(err, Err(Error::SourceChanged { .. })));
    /// assert!(catalog.artifact(&other).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sourced(
        path: impl Into<String>,
        size: u64,
        hash: [u8; 32],
        source: Arc<dyn BlobSource>,
    ) -> Self {
        NewFile {
            path: path.into(),
            content: Vec::new(),
            executable: false,
            verbatim: false,
            sourced: Some(Sourced { size, hash, source }),
        }
    }

    /// Whether the content is read from a [`BlobSource`] when stored
    /// (then [`content`](Self::content) is empty).
    pub fn is_sourced(&self) -> bool {
        self.sourced.is_some()
    }

    /// The content's size in bytes, held or sourced.
    pub fn size(&self) -> u64 {
        match &self.sourced {
            Some(s) => s.size,
            None => self.content.len() as u64,
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
