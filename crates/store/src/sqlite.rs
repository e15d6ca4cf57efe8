//! The SQLite connection layer: opening a catalogue file (identifying it
//! before anything writes to it, read-only where its path cannot be
//! written, never creating one unless asked), the connection's pragmas and
//! statement counter, and the schema migrations.
//!
//! The order of opening is what keeps a refused file unchanged: every
//! pragma set before identification is per connection (nothing reaches
//! the file); `journal_mode = WAL`, which rewrites the header, comes only
//! after the file is known to be a stencil catalogue (or a new one).

use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, ErrorCode, MAIN_DB, OpenFlags, TransactionBehavior};

use crate::backend::Backend;
use crate::counters::Counters;
use crate::error::{Context, DriverError, Error, Result};

/// Identifies a SQLite file as a stencil catalogue (`PRAGMA application_id`,
/// the bytes `stnc`), so opening some other database is refused instead of
/// migrated.
const APPLICATION_ID: i32 = 0x73_74_6e_63;

fn is_transaction_control(sql: &str) -> bool {
    let head = sql.trim_start().as_bytes();
    ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END"]
        .iter()
        .any(|k| head.len() >= k.len() && head[..k.len()].eq_ignore_ascii_case(k.as_bytes()))
}

/// An opened, identified, migrated catalogue connection.
pub(crate) struct Opened {
    pub(crate) conn: Connection,
    /// The file or its directory cannot be written: reads only.
    pub(crate) read_only: bool,
}

/// Opens the catalogue file at `path`. With `create`, a missing or empty
/// file becomes a new catalogue; without, it is [`Error::NotACatalogue`]
/// and nothing is created. A file that is not a regular file, not a SQLite
/// database or another application's database is refused before anything
/// is written to it. A file whose path cannot be written is opened
/// read-only (see [`open_read_only`]).
pub(crate) fn open_file(
    path: &Path,
    create: bool,
    busy_timeout: Duration,
    counters: &Arc<Counters>,
) -> Result<Opened> {
    let shown = path.display().to_string();
    let not_ours = |reason: &str| Error::NotACatalogue {
        path: shown.clone(),
        reason: reason.to_owned(),
    };
    let exists = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err(not_ours("it is a directory")),
        Ok(m) if !m.is_file() => {
            return Err(not_ours(
                "it is not a regular file (a device, pipe or socket)",
            ));
        }
        Ok(m) if m.len() == 0 && !create => return Err(not_ours("it is an empty file")),
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => {
            return Err(not_ours("it does not exist"));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(Error::Migration {
                path: shown,
                reason: format!("cannot read the file's metadata: {e}"),
            });
        }
    };
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::Migration {
        path: shown.clone(),
        reason: format!("cannot open the database file: {e}"),
    })?;
    // SQLite opens a write-protected file read-only even when asked for
    // read-write.
    if exists && conn.is_readonly(MAIN_DB).unwrap_or(false) {
        drop(conn);
        return open_read_only(path, &shown, busy_timeout, counters);
    }
    let mut conn = conn;
    configure(&mut conn, busy_timeout, counters)?;
    match until_not_busy(busy_timeout, || prepare(&mut conn, &shown, true)) {
        Ok(()) => Ok(Opened {
            conn,
            read_only: false,
        }),
        // The directory cannot take the WAL's `-wal` and `-shm` files.
        Err(e) if exists && cannot_write(&e) => {
            drop(conn);
            open_read_only(path, &shown, busy_timeout, counters)
        }
        Err(e) => Err(e),
    }
}

/// Opens a fresh catalogue in memory.
pub(crate) fn open_in_memory(
    busy_timeout: Duration,
    counters: &Arc<Counters>,
) -> Result<Connection> {
    let mut conn = Connection::open_in_memory().context("opening an in-memory database")?;
    configure(&mut conn, busy_timeout, counters)?;
    prepare(&mut conn, ":memory:", false)?;
    Ok(conn)
}

/// Opens an existing catalogue for reading only. Plainly first (SQLite
/// reads a WAL database read-only when its `-shm` exists or can be
/// created); where it cannot (a read-only directory or mount without the
/// `-shm`), with `immutable=1`: no locks and no shared memory, which is
/// right for a file nobody can change there.
fn open_read_only(
    path: &Path,
    shown: &str,
    busy_timeout: Duration,
    counters: &Arc<Counters>,
) -> Result<Opened> {
    let open = |uri: Option<String>| -> Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let mut conn = match uri {
            Some(uri) => Connection::open_with_flags(uri, flags),
            None => Connection::open_with_flags(path, flags),
        }
        .map_err(|e| Error::Migration {
            path: shown.to_owned(),
            reason: format!("cannot open the database file for reading: {e}"),
        })?;
        configure(&mut conn, busy_timeout, counters)?;
        until_not_busy(busy_timeout, || current(&conn, shown))?;
        Ok(conn)
    };
    let conn = match open(None) {
        Err(e) if cannot_write(&e) => open(Some(immutable_uri(path)))?,
        other => other?,
    };
    Ok(Opened {
        conn,
        read_only: true,
    })
}

/// `file:<path>?immutable=1`, the path percent-encoded as SQLite's URI
/// syntax requires.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Whether opening failed because the file or its directory cannot be
/// written (so a read-only open may work).
fn cannot_write(e: &Error) -> bool {
    e.sqlite_code().is_some_and(|code| {
        matches!(
            code & 0xff,
            // SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN
            3 | 8 | 14
        )
    })
}

/// Runs `step` again while it fails because another connection holds a
/// lock, for as long as the busy timeout: SQLite's busy handler does not
/// cover every lock taken while a new file is set up (switching to WAL,
/// the first read of a database another connection is creating), so
/// without this several processes creating one catalogue at once would
/// now and then fail with "database is locked".
fn until_not_busy<T>(timeout: Duration, mut step: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match step() {
            Err(e) if e.is_busy() && Instant::now() < deadline => {
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

/// Maps an error of a step of opening: a lock not granted is a (retryable)
/// database error, anything else says the catalogue cannot be opened.
fn opening(path: &str, what: &str, e: rusqlite::Error) -> Error {
    if matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    ) {
        return Error::Database {
            context: "opening the catalogue",
            source: DriverError::sqlite(e),
        };
    }
    if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) {
        return Error::NotACatalogue {
            path: path.to_owned(),
            // The driver's words too ("file is not a database").
            reason: format!("it is not a SQLite database ({e})"),
        };
    }
    let cannot_write = e.sqlite_error_code().is_some_and(|c| {
        matches!(
            c,
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied
        )
    });
    if cannot_write {
        // Kept as a driver error so `cannot_write` can tell it apart.
        return Error::Database {
            context: "opening the catalogue",
            source: DriverError::sqlite(e),
        };
    }
    Error::Migration {
        path: path.to_owned(),
        reason: format!("{what}: {e}"),
    }
}

/// Settings of the connection alone: none of them reads or writes the
/// file, so they are safe before the file is identified.
fn configure(
    conn: &mut Connection,
    busy_timeout: Duration,
    counters: &Arc<Counters>,
) -> Result<()> {
    let hook = Arc::clone(counters);
    // The profile event fires once per finished statement (trigger
    // bodies are part of theirs), which is what budgets count.
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(move |e: TraceEvent<'_>| {
            if let TraceEvent::Profile(stmt, _) = e {
                if is_transaction_control(&stmt.sql()) {
                    hook.transaction();
                } else {
                    hook.statement();
                }
            }
        }),
    )
    .context("installing the statement counter")?;
    conn.busy_timeout(busy_timeout)
        .context("setting the busy timeout")?;
    // `rarray(?)`: how a page's ID list is bound (see Backend::in_id_list).
    rusqlite::vtab::array::load_module(conn).context("loading the rarray module")?;
    // Every fixed statement stays prepared; the default of 16 is smaller
    // than the catalogue's working set.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

/// The connection's pragmas that touch the database (they read its
/// header), set once it is known to be a catalogue. None of them writes.
fn tune(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // NORMAL sync in WAL mode is durable across application crashes and
    // costs no fsync per commit (only a power loss can drop the last
    // transactions).
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // The default 2 MiB page cache spills to the WAL in the middle of a
    // bulk import; 64 MiB (allocated only as used) keeps a 10,000-artifact
    // import in memory until its commit.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// What a database is, read without writing to it.
struct Identity {
    application_id: i32,
    version: i64,
}

/// Reads the header fields and refuses what is not a stencil catalogue (or
/// an empty database that can become one).
fn identify(conn: &Connection, path: &str) -> Result<Identity> {
    // One statement, so one snapshot: read apart, another connection's
    // migration could commit between the id and the table count.
    let (application_id, version, tables): (i32, i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id()), \
                    (SELECT user_version FROM pragma_user_version()), \
                    (SELECT count(*) FROM sqlite_schema WHERE type = 'table')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| opening(path, "cannot read the database header", e))?;
    let not_ours = |reason: String| Error::NotACatalogue {
        path: path.to_owned(),
        reason,
    };
    if application_id != 0 && application_id != APPLICATION_ID {
        return Err(not_ours(format!(
            "it is a SQLite database of another application (application_id \
             {application_id:#x}); point stencil at a catalogue file"
        )));
    }
    if application_id == 0 && tables > 0 {
        return Err(not_ours(
            "it is a SQLite database with tables of another application; point stencil at a \
             new or existing catalogue file"
                .to_owned(),
        ));
    }
    tune(conn).map_err(|e| opening(path, "cannot configure the connection", e))?;
    Ok(Identity {
        application_id,
        version,
    })
}

/// Identifies the database, switches a file to WAL (after identifying it:
/// the switch writes the header) and migrates it.
fn prepare(conn: &mut Connection, path: &str, file: bool) -> Result<()> {
    identify(conn, path)?;
    if file {
        // WAL lets readers run while a writer commits. Reading the mode
        // first: switching needs an exclusive lock, which an open of an
        // existing catalogue then never takes.
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .map_err(|e| opening(path, "cannot read the journal mode", e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            let mode: String = conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .map_err(|e| opening(path, "cannot switch to WAL journal mode", e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::Migration {
                    path: path.to_owned(),
                    reason: format!("the database refused WAL journal mode (it is in `{mode}`)"),
                });
            }
        }
    }
    migrate(conn, Backend::Sqlite, path)
}

/// A read-only catalogue must be at the current schema already: it cannot
/// be migrated here.
fn current(conn: &Connection, path: &str) -> Result<()> {
    let id = identify(conn, path)?;
    let known = Backend::Sqlite.migrations().len() as i64;
    if id.application_id == APPLICATION_ID && id.version == known {
        return Ok(());
    }
    if id.version > known {
        return Err(Error::Migration {
            path: path.to_owned(),
            reason: format!(
                "the catalogue has schema version {}, newer than the {known} this build of \
                 stencil understands; upgrade stencil to open it",
                id.version
            ),
        });
    }
    if id.application_id == 0 {
        return Err(Error::NotACatalogue {
            path: path.to_owned(),
            reason: "it is an empty SQLite database, and read-only here".to_owned(),
        });
    }
    Err(Error::ReadOnly {
        path: path.to_owned(),
    })
}

/// Applies pending migrations, each in its own transaction.
fn migrate(conn: &mut Connection, backend: Backend, path: &str) -> Result<()> {
    let fail = |reason: String| Error::Migration {
        path: path.to_owned(),
        reason,
    };
    let scripts = backend.migrations();
    let known = scripts.len() as i64;
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| opening(path, "cannot read the database header", e))?;
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| opening(path, "cannot read the schema version", e))?;
    if current == known && app == APPLICATION_ID {
        // Up to date: opening takes no write lock.
        return Ok(());
    }
    if app != 0 && app != APPLICATION_ID {
        return Err(Error::NotACatalogue {
            path: path.to_owned(),
            reason: format!(
                "it is a SQLite database of another application (application_id {app:#x})"
            ),
        });
    }
    for (i, script) in scripts.iter().enumerate() {
        let target = i as i64 + 1;
        // IMMEDIATE, and the version read inside the transaction: two
        // processes opening a new file at once must not both migrate it.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| opening(path, "cannot lock the database to migrate it", e))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| opening(path, "cannot read the schema version", e))?;
        if version > known {
            return Err(fail(format!(
                "the catalogue has schema version {version}, newer than the {known} this build of \
                 stencil understands; upgrade stencil to open it"
            )));
        }
        if version >= target {
            continue;
        }
        if version == 0 {
            let tables: i64 = tx
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| opening(path, "cannot inspect the database", e))?;
            if tables > 0 && app == 0 {
                return Err(Error::NotACatalogue {
                    path: path.to_owned(),
                    reason: "it is a SQLite database with tables of another application".to_owned(),
                });
            }
        }
        tx.execute_batch(script)
            .map_err(|e| fail(format!("migration to schema version {target} failed: {e}")))?;
        tx.pragma_update(None, "user_version", target)
            .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID))
            .map_err(|e| fail(format!("cannot record schema version {target}: {e}")))?;
        tx.commit()
            .map_err(|e| opening(path, &format!("cannot commit schema version {target}"), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_control_is_told_apart_from_data_statements() {
        for sql in [
            "BEGIN IMMEDIATE",
            "commit",
            " ROLLBACK",
            "SAVEPOINT x",
            "RELEASE x",
            "END",
        ] {
            assert!(is_transaction_control(sql), "{sql}");
        }
        for sql in [
            "SELECT 1",
            "INSERT INTO t VALUES (1)",
            "UPDATE x",
            "DELETE FROM t",
            "BE",
        ] {
            assert!(!is_transaction_control(sql), "{sql}");
        }
    }
}
