//! Storing the blob of a sourced file ([`NewFile::sourced`]): read from its
//! [`BlobSource`](crate::BlobSource) while it is stored, its size and
//! hash checked against the ones it was given with.
//!
//! On SQLite the row is inserted with a `zeroblob` of the content's size and
//! filled in place through incremental blob I/O, [`CHUNK`] bytes at a time,
//! so storing holds no copy of the file (only pages in SQLite's cache). On
//! PostgreSQL the content is read whole, checked, and sent in one statement:
//! one file at a time, never the template. A blob of that hash already
//! stored is not read again.

use std::io::Read;

use crate::conn::Conn;
use crate::error::{Context, Error, Result};
use crate::model::{ArtifactKey, NewFile, Sourced};
use crate::param::args;

/// Bytes read from a source and written to the blob at a time.
const CHUNK: usize = 64 << 10;

/// hash → size, no row when no blob has that hash (SQLite).
const SQLITE_STORED: &str = "SELECT size FROM blobs WHERE hash = ?1";

/// A row for the content, all zeros, to be filled in place (SQLite).
const SQLITE_INSERT_ZEROED: &str =
    "INSERT INTO blobs (hash, size, content) VALUES (?1, ?2, zeroblob(?2))";

/// hash → size, no row when no blob has that hash (PostgreSQL).
#[cfg(feature = "postgres")]
const PG_STORED: &str = "SELECT size FROM blobs WHERE hash = $1";

/// The blob, read whole (PostgreSQL); a concurrent writer's equal blob wins.
#[cfg(feature = "postgres")]
const PG_INSERT: &str =
    "INSERT INTO blobs (hash, size, content) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING";

/// Stores the blob of `file`, read from its source, unless a blob of its
/// hash is stored already. Fails with [`Error::SourceChanged`] (and the
/// caller's transaction is rolled back) when the source does not give the
/// size and hash the file was made with.
pub(crate) fn store_blob(
    c: &Conn<'_>,
    key: &ArtifactKey,
    file: &NewFile,
    s: &Sourced,
) -> Result<()> {
    let hash = &s.hash[..];
    let stored_sql = match c {
        Conn::Sqlite(_) => SQLITE_STORED,
        #[cfg(feature = "postgres")]
        Conn::Postgres { .. } => PG_STORED,
    };
    let stored = c.query_opt(stored_sql, args![hash], "looking up a blob", |r| {
        r.get::<i64>(0)
    })?;
    if stored.is_some() {
        return Ok(());
    }
    let size = i64::try_from(s.size).map_err(|_| changed(key, file, s))?;
    match c {
        Conn::Sqlite(conn) => {
            let ctx = "storing a blob";
            conn.prepare_cached(SQLITE_INSERT_ZEROED)
                .and_then(|mut st| st.execute(rusqlite::params![hash, size]))
                .context(ctx)?;
            let row = conn.last_insert_rowid();
            let mut blob = conn
                .blob_open("main", "blobs", "content", row, false)
                .context(ctx)?;
            let mut offset = 0usize;
            read_checked(key, file, s, |chunk| {
                blob.write_all_at(chunk, offset).context(ctx)?;
                offset += chunk.len();
                Ok(())
            })?;
            blob.close().context(ctx)
        }
        #[cfg(feature = "postgres")]
        Conn::Postgres { .. } => {
            let mut content = Vec::with_capacity(usize::try_from(s.size).unwrap_or(0));
            read_checked(key, file, s, |chunk| {
                content.extend_from_slice(chunk);
                Ok(())
            })?;
            c.execute(PG_INSERT, args![hash, size, &content[..]], "storing a blob")?;
            Ok(())
        }
    }
}

/// Reads the source of `file` once, handing each piece to `each`; an error
/// unless it gave exactly the size and hash `s` says. `each` never sees
/// more than the size.
fn read_checked(
    key: &ArtifactKey,
    file: &NewFile,
    s: &Sourced,
    mut each: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    let read_error = |e| Error::SourceRead {
        artifact: key.to_string(),
        path: file.path.clone(),
        source_name: s.source.describe(),
        source: e,
    };
    let mut reader = s.source.open().map_err(read_error)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        total += n as u64;
        if total > s.size {
            return Err(changed(key, file, s));
        }
        hasher.update(&buf[..n]);
        each(&buf[..n])?;
    }
    if total != s.size || hasher.finalize().as_bytes() != &s.hash {
        return Err(changed(key, file, s));
    }
    Ok(())
}

fn changed(key: &ArtifactKey, file: &NewFile, s: &Sourced) -> Error {
    Error::SourceChanged {
        artifact: key.to_string(),
        path: file.path.clone(),
        source_name: s.source.describe(),
    }
}
