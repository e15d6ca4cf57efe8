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
    /// A collection is followed by templates (their entities are its
    /// members) and cannot be deleted.
    #[error(
        "collection `{collection}` is followed by template(s) {}; delete them, or save them \
         as snapshots of its members, first",
        .templates.join(", ")
    )]
    Followed {
        /// The collection that was to be deleted.
        collection: String,
        /// The templates that follow it.
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
    /// The [`BlobSource`](crate::BlobSource) of a file could not be
    /// read while the file was stored; nothing was stored.
    #[error("cannot read {source_name} for file `{path}` of artifact `{artifact}`: {source}")]
    SourceRead {
        /// The artifact key.
        artifact: String,
        /// The file's target path.
        path: String,
        /// The source, as it describes itself (for a file, its path).
        source_name: String,
        /// What reading reported.
        #[source]
        source: std::io::Error,
    },
    /// The [`BlobSource`](crate::BlobSource) of a file gave other bytes
    /// than the size and hash it was given with: the file changed after it
    /// was read the first time. Nothing was stored; read it again.
    #[error(
        "{source_name} (file `{path}` of artifact `{artifact}`) changed while it was imported: \
         it no longer has the size and hash it was read with; import it again"
    )]
    SourceChanged {
        /// The artifact key.
        artifact: String,
        /// The file's target path.
        path: String,
        /// The source, as it describes itself (for a file, its path).
        source_name: String,
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
    /// The file is not a stencil catalogue: it does not exist (and the
    /// catalogue was opened without creating one), is empty, is not a
    /// regular file, is not a SQLite database, or is another application's
    /// database. Nothing was written to it.
    #[error("{path} is not a stencil catalogue: {reason}")]
    NotACatalogue {
        /// The path as given.
        path: String,
        /// What it is instead.
        reason: String,
    },
    /// A write to a catalogue that was opened read-only because its file or
    /// directory cannot be written (a shared catalogue on a read-only path).
    /// Reads work; nothing was changed.
    #[error(
        "catalogue {path} is read-only: it cannot be changed here (its file or directory is not writable)"
    )]
    ReadOnly {
        /// The database file.
        path: String,
    },
    /// The database reported an error. The driver's error is kept opaque
    /// ([`DriverError`]) so no driver type is part of this crate's API; ask
    /// [`Error::is_retryable`], [`Error::is_busy`], [`Error::sqlite_code`]
    /// or [`Error::sqlstate`] what it was.
    #[error("catalogue database error while {context}: {source}")]
    Database {
        /// What the catalogue was doing.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: DriverError,
    },
    /// The database server could not be reached, or the connection dropped
    /// (PostgreSQL). The operation's transaction was rolled back by the
    /// server, unless the connection dropped while the COMMIT was under way;
    /// either way the operation can be retried: writes through the catalogue
    /// are idempotent or report "already exists" on a second run.
    #[error(
        "the catalogue database is unavailable while {context}: {reason}; retry when the server \
         is reachable"
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
            Error::Database { source, .. } => source.is_busy() || source.is_conflict(),
            _ => false,
        }
    }

    /// Whether another connection held a lock for longer than the busy
    /// timeout (SQLite `SQLITE_BUSY` / `SQLITE_LOCKED`; PostgreSQL
    /// `lock_not_available`, i.e. `lock_timeout` expired).
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Database { source, .. } if source.is_busy())
    }

    /// SQLite's extended result code (for example 5 for `SQLITE_BUSY`,
    /// 2067 for `SQLITE_CONSTRAINT_UNIQUE`), if SQLite reported the error.
    pub fn sqlite_code(&self) -> Option<i32> {
        match self {
            Error::Database { source, .. } => source.sqlite_code(),
            _ => None,
        }
    }

    /// The PostgreSQL SQLSTATE (for example `40001`), if the server
    /// reported the error.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Database { source, .. } => source.sqlstate(),
            _ => None,
        }
    }

    pub(crate) fn not_found(kind: ObjectKind, key: impl Into<String>) -> Self {
        Error::NotFound {
            kind,
            key: key.into(),
        }
    }
}

/// The error a database driver reported, kept opaque: its message is the
/// driver's, and [`DriverError::sqlite_code`] / [`DriverError::sqlstate`]
/// say what it was without naming a driver type, so stencil-store can move
/// to another driver version without breaking its callers.
#[derive(Debug)]
pub struct DriverError(Driver);

#[derive(Debug)]
enum Driver {
    Sqlite(rusqlite::Error),
    #[cfg(feature = "postgres")]
    Postgres(postgres::Error),
}

impl DriverError {
    pub(crate) fn sqlite(e: rusqlite::Error) -> Self {
        DriverError(Driver::Sqlite(e))
    }

    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(e: postgres::Error) -> Self {
        DriverError(Driver::Postgres(e))
    }

    /// SQLite's extended result code, if SQLite reported the error.
    pub fn sqlite_code(&self) -> Option<i32> {
        match &self.0 {
            Driver::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => Some(e.extended_code),
            _ => None,
        }
    }

    /// The PostgreSQL SQLSTATE, if the server reported the error.
    pub fn sqlstate(&self) -> Option<&str> {
        match &self.0 {
            #[cfg(feature = "postgres")]
            Driver::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }

    /// A lock was not granted in time (see [`Error::is_busy`]).
    pub fn is_busy(&self) -> bool {
        match &self.0 {
            Driver::Sqlite(e) => matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            #[cfg(feature = "postgres")]
            Driver::Postgres(_) => self.sqlstate() == Some("55P03"),
        }
    }

    /// The server aborted the transaction for a conflict with another one
    /// (serialization failure, deadlock): running it again may succeed.
    fn is_conflict(&self) -> bool {
        matches!(self.sqlstate(), Some("40001" | "40P01"))
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Driver::Sqlite(e) => fmt::Display::fmt(e, f),
            #[cfg(feature = "postgres")]
            Driver::Postgres(e) => fmt::Display::fmt(&crate::pg::Shown(e), f),
        }
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Driver::Sqlite(e) => e.source(),
            #[cfg(feature = "postgres")]
            Driver::Postgres(e) => e.source(),
        }
    }
}

/// Attaches "what the catalogue was doing" to driver errors.
pub(crate) trait Context<T> {
    fn context(self, context: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, rusqlite::Error> {
    fn context(self, context: &'static str) -> Result<T> {
        self.map_err(|e| Error::Database {
            context,
            source: DriverError::sqlite(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message, as a user reads it: one line, single spaces.
    #[test]
    fn every_message_is_one_line_with_single_spaces() {
        let sqlite = rusqlite::Connection::open_in_memory()
            .unwrap()
            .execute("NOT SQL", [])
            .unwrap_err();
        let errors = [
            Error::not_found(ObjectKind::Artifact, "skill:x"),
            Error::AlreadyExists {
                kind: ObjectKind::Template,
                key: "t".into(),
            },
            Error::invalid("limit", "0", "a page holds 1 to 500 artifacts"),
            Error::InUse {
                artifact: "skill:x".into(),
                templates: vec!["a".into(), "b".into()],
            },
            Error::Followed {
                collection: "myapp".into(),
                templates: vec!["web".into()],
            },
            Error::Corrupt {
                artifact: "skill:x".into(),
                path: "a.md".into(),
                hash: "00".into(),
            },
            Error::Migration {
                path: "c.db".into(),
                reason: "why".into(),
            },
            Error::NotACatalogue {
                path: "c.db".into(),
                reason: "why".into(),
            },
            Error::ReadOnly {
                path: "c.db".into(),
            },
            Error::Database {
                context: "doing",
                source: DriverError::sqlite(sqlite),
            },
            Error::Unavailable {
                context: "doing",
                reason: "why".into(),
            },
        ];
        for e in errors {
            let text = e.to_string();
            assert!(!text.contains("  ") && !text.contains('\n'), "{text:?}");
            assert_eq!(text.trim(), text, "{text:?}");
        }
    }

    /// No string literal in this crate's sources runs over a line break
    /// without `\`: such a literal keeps the next line's indentation as
    /// spaces in the middle of the text.
    #[test]
    fn no_string_literal_breaks_a_line_without_a_backslash() {
        let mut files = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut found = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in broken_literals(&text) {
                    found.push(format!("{}:{line}", path.display()));
                }
            }
        }
        assert!(found.is_empty(), "{found:#?}");
    }

    /// Lines where a plain (not raw) string literal goes on to the next line
    /// without a `\` continuation.
    fn broken_literals(src: &str) -> Vec<usize> {
        let b = src.as_bytes();
        let (mut i, mut line, mut out) = (0, 1, Vec::new());
        while i < b.len() {
            match b[i] {
                b'\n' => line += 1,
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\'' if b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\') => {
                    // A char literal such as '"' or '\'': skip to its end.
                    i += 2;
                    while i < b.len() && b[i] != b'\'' {
                        i += 1;
                    }
                }
                b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                    && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) =>
                {
                    let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                    let close: Vec<u8> = std::iter::once(b'"')
                        .chain(std::iter::repeat_n(b'#', hashes))
                        .collect();
                    i += 2 + hashes;
                    while i < b.len() && !b[i..].starts_with(&close) {
                        line += usize::from(b[i] == b'\n');
                        i += 1;
                    }
                    i += close.len();
                    continue;
                }
                b'"' => {
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        match b[i] {
                            b'\\' => {
                                line += usize::from(b.get(i + 1) == Some(&b'\n'));
                                i += 1;
                            }
                            b'\n' => {
                                out.push(line);
                                line += 1;
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out
    }
}
