//! The one error type of this crate.

use std::fmt;

/// A specialised `Result` for catalogue operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of catalogue object an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectKind {
    /// An artifact, named by its `type:name` key.
    Artifact,
    /// A collection.
    Collection,
    /// A group inside a collection, named `collection/group`.
    Group,
    /// A tag.
    Tag,
    /// A project template.
    Template,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectKind::Artifact => "artifact",
            ObjectKind::Collection => "collection",
            ObjectKind::Group => "group",
            ObjectKind::Tag => "tag",
            ObjectKind::Template => "template",
        })
    }
}

/// Everything that can go wrong in the catalogue.
///
/// Each message names the object and says what to do, so a CLI can print it
/// as one line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The named object does not exist.
    #[error("{kind} `{key}` does not exist in the catalogue")]
    NotFound {
        /// What was looked for.
        kind: ObjectKind,
        /// Its key as given.
        key: String,
    },
    /// An object with this key exists already.
    #[error("{kind} `{key}` already exists; choose another name or update the existing one")]
    AlreadyExists {
        /// What was to be created.
        kind: ObjectKind,
        /// Its key as given.
        key: String,
    },
    /// A name, key, path or parameter failed validation.
    #[error("invalid {what} `{value}`: {reason}")]
    Invalid {
        /// What was being validated (`artifact type`, `file path`, `limit`, …).
        what: &'static str,
        /// The offending value, as given.
        value: String,
        /// Why it was rejected and what is allowed.
        reason: String,
    },
    /// An artifact is still used by templates and cannot be deleted.
    #[error(
        "artifact `{artifact}` is used by template(s) {}; remove it from them first",
        .templates.join(", ")
    )]
    InUse {
        /// The artifact that was to be deleted.
        artifact: String,
        /// The templates that use it.
        templates: Vec<String>,
    },
    /// A stored blob does not match its hash.
    #[error(
        "file `{path}` of artifact `{artifact}` is corrupt: its content does not match hash {hash}; \
         re-import the artifact"
    )]
    Corrupt {
        /// The artifact key.
        artifact: String,
        /// The file's target path.
        path: String,
        /// The hash the content should have.
        hash: String,
    },
    /// The database could not be opened or migrated, or its schema is newer
    /// than this build.
    #[error("cannot open catalogue {path}: {reason}")]
    Migration {
        /// The database file (`:memory:` for in-memory catalogues).
        path: String,
        /// What failed.
        reason: String,
    },
    /// The database reported an error.
    #[error("catalogue database error while {context}: {source}")]
    Database {
        /// What the catalogue was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The PostgreSQL server reported an error (feature `postgres`).
    #[cfg(feature = "postgres")]
    #[error("catalogue database error while {context}: {source}")]
    Postgres {
        /// What the catalogue was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: postgres::Error,
    },
    /// The database server could not be reached, or the connection dropped
    /// (PostgreSQL). The operation's transaction was rolled back by the
    /// server, unless the connection dropped while the COMMIT was under way;
    /// either way the operation can be retried: writes through the catalogue
    /// are idempotent or report "already exists" on a second run.
    #[error(
        "the catalogue database is unavailable while {context}: {reason}; retry when the server          is reachable"
    )]
    Unavailable {
        /// What the catalogue was doing.
        context: &'static str,
        /// What the driver or the pool reported.
        reason: String,
    },
}

impl Error {
    pub(crate) fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            what,
            value: value.to_owned(),
            reason: reason.into(),
        }
    }

    /// Whether running the operation again may succeed: the database was
    /// unreachable or busy, a lock wait timed out, or the server aborted the
    /// transaction for a conflict (serialization failure, deadlock).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Unavailable { .. } => true,
            Error::Database { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            #[cfg(feature = "postgres")]
            Error::Postgres { source, .. } => source
                .code()
                .is_some_and(|c| matches!(c.code(), "40001" | "40P01" | "55P03")),
            _ => false,
        }
    }

    pub(crate) fn not_found(kind: ObjectKind, key: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            key: key.into(),
        }
    }
}

/// Attaches "what the catalogue was doing" to driver errors.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, rusqlite::Error> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|source| Error::Database { context, source })
    }
}
