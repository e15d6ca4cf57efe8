//! [`CatalogTarget`]: where a catalogue lives — a SQLite file or a
//! PostgreSQL database — told apart from one string, and shown without its
//! password.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a catalogue lives: a SQLite file, or a PostgreSQL database named by
/// a connection string (a `postgres://` or `postgresql://` URL, or a libpq
/// key-value string such as `host=… dbname=…`).
///
/// Parse one from what a user typed (`--catalog`, an environment variable)
/// and open it with [`CatalogBuilder::open_target`](crate::CatalogBuilder::open_target).
/// Its `Display` (and `Debug`) never shows a password:
/// `postgres://user:***@host/db`, `password=***`.
///
/// ```
/// use stencil_store::CatalogTarget;
/// let pg: CatalogTarget = "postgres://me:secret@db.example/stencil".parse().unwrap();
/// assert!(pg.is_postgres());
/// assert_eq!(pg.to_string(), "postgres://me:***@db.example/stencil");
/// let file: CatalogTarget = "team/catalog.db".parse().unwrap();
/// assert_eq!(file.file(), Some(std::path::Path::new("team/catalog.db")));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CatalogTarget(Target);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Target {
    File(PathBuf),
    Postgres(String),
}

impl CatalogTarget {
    /// A SQLite file, whatever its name looks like.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        CatalogTarget(Target::File(path.into()))
    }

    /// A path as given on a command line: a PostgreSQL connection string if
    /// it is valid UTF-8 and reads as one, else a file.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        match path.to_str() {
            Some(s) if is_postgres(s) => CatalogTarget(Target::Postgres(s.to_owned())),
            _ => CatalogTarget(Target::File(path)),
        }
    }

    /// Whether this is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        matches!(self.0, Target::Postgres(_))
    }

    /// The SQLite file, if this is one.
    pub fn file(&self) -> Option<&Path> {
        match &self.0 {
            Target::File(p) => Some(p),
            Target::Postgres(_) => None,
        }
    }

    /// The PostgreSQL connection string, password included (to connect
    /// with; show the target with `Display` instead).
    pub fn connection_string(&self) -> Option<&str> {
        match &self.0 {
            Target::File(_) => None,
            Target::Postgres(s) => Some(s),
        }
    }
}

/// Never fails: what is not a connection string is a file path.
impl FromStr for CatalogTarget {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(CatalogTarget::from_path(s))
    }
}

impl From<PathBuf> for CatalogTarget {
    /// The same as [`CatalogTarget::from_path`].
    fn from(path: PathBuf) -> Self {
        CatalogTarget::from_path(path)
    }
}

impl From<&Path> for CatalogTarget {
    /// The same as [`CatalogTarget::from_path`].
    fn from(path: &Path) -> Self {
        CatalogTarget::from_path(path)
    }
}

impl fmt::Display for CatalogTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Target::File(p) => p.display().fmt(f),
            Target::Postgres(s) => f.write_str(&redact_password(s)),
        }
    }
}

impl fmt::Debug for CatalogTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Target::File(p) => f.debug_tuple("Sqlite").field(p).finish(),
            Target::Postgres(s) => f
                .debug_tuple("Postgres")
                .field(&redact_password(s))
                .finish(),
        }
    }
}

/// Whether `target` names a PostgreSQL database rather than a SQLite file:
/// a `postgres://` or `postgresql://` URL, or a libpq key-value string
/// (`host=… dbname=…`).
fn is_postgres(target: &str) -> bool {
    let t = target.trim_start();
    if t.starts_with("postgres://") || t.starts_with("postgresql://") {
        return true;
    }
    // Key-value form: every word is `key=value` and a connection key is
    // among them. A file path with `=` in it has no such shape.
    let words: Vec<&str> = t.split_whitespace().collect();
    !words.is_empty()
        && words.iter().all(|w| w.contains('='))
        && words.iter().any(|w| {
            ["host=", "hostaddr=", "dbname=", "user=", "port="]
                .iter()
                .any(|k| w.starts_with(k))
        })
}

/// A connection string with its password (`postgres://user:***@…`,
/// `password=***`) replaced.
pub(crate) fn redact_password(target: &str) -> String {
    let mut out = target.to_owned();
    if let Some(scheme) = out.find("://") {
        let rest = scheme + 3;
        if let Some(at) = out[rest..].find('@').map(|i| i + rest)
            && let Some(colon) = out[rest..at].find(':').map(|i| i + rest)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(at) = out.find("password=") {
        let start = at + "password=".len();
        let end = out[start..]
            .find(char::is_whitespace)
            .map_or(out.len(), |i| i + start);
        out.replace_range(start..end, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> (String, String) {
        let t: CatalogTarget = s.parse().unwrap();
        (t.to_string(), format!("{t:?}"))
    }

    #[test]
    fn passwords_never_reach_display_or_debug() {
        for (given, want) in [
            (
                "postgres://u:secret@h:5432/db",
                "postgres://u:***@h:5432/db",
            ),
            (
                "host=h password=secret dbname=d",
                "host=h password=*** dbname=d",
            ),
            ("host=h dbname=d", "host=h dbname=d"),
            ("postgres://u@h/db", "postgres://u@h/db"),
        ] {
            let (display, debug) = shown(given);
            assert_eq!(display, want);
            assert!(!debug.contains("secret"), "{debug}");
            assert!(debug.contains(want), "{debug}");
        }
        assert_eq!(shown("dir/catalog.db").0, "dir/catalog.db");
    }

    #[test]
    fn postgres_targets_are_told_apart_from_file_paths() {
        for t in [
            "postgres://u@h/db",
            "postgresql://h:5432/db?sslmode=disable",
            "host=127.0.0.1 dbname=test",
            "  dbname=stencil user=me",
        ] {
            let target: CatalogTarget = t.parse().unwrap();
            assert!(target.is_postgres(), "{t}");
            assert_eq!(target.connection_string(), Some(t));
            assert_eq!(target.file(), None);
        }
        for t in [
            "catalog.db",
            "./.stencil/catalog.db",
            "dir/host=x.db",
            "a=b c.db",
            "",
            "postgres.db",
        ] {
            let target: CatalogTarget = t.parse().unwrap();
            assert!(!target.is_postgres(), "{t}");
            assert_eq!(target.file(), Some(Path::new(t)));
        }
        // A file that happens to be named like a connection string.
        assert!(!CatalogTarget::sqlite("host=x dbname=y").is_postgres());
    }
}
