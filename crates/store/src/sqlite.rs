//! The SQLite connection layer: opening a connection with its pragmas and
//! statement counter, and the schema migrations.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, TransactionBehavior};

use crate::backend::Backend;
use crate::counters::Counters;
use crate::error::{Context, Error, Result};

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

/// Sets up a freshly opened connection (statement counter, busy timeout,
/// foreign keys, WAL for a file, page cache, the `rarray` module, the
/// statement cache) and migrates its database to the current schema.
pub(crate) fn setup(
    mut conn: Connection,
    path: &str,
    file: bool,
    busy_timeout: Duration,
    counters: &Arc<Counters>,
) -> Result<Connection> {
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
    conn.pragma_update(None, "foreign_keys", "ON")
        .context("enabling foreign keys")?;
    if file {
        // WAL lets readers run while a writer commits; NORMAL sync is
        // durable across application crashes and costs no fsync per
        // commit (only a power loss can drop the last transactions).
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .context("switching to WAL journal mode")?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Migration {
                path: path.to_owned(),
                reason: format!("the database refused WAL journal mode (it is in `{mode}`)"),
            });
        }
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .context("setting synchronous=NORMAL")?;
    // The default 2 MiB page cache spills to the WAL in the middle of a
    // bulk import; 64 MiB (allocated only as used) keeps a 10,000-artifact
    // import in memory until its commit.
    conn.pragma_update(None, "cache_size", -65_536)
        .context("sizing the page cache")?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .context("keeping temporary tables in memory")?;
    // `rarray(?)`: how a page's ID list is bound (see Backend::in_id_list).
    rusqlite::vtab::array::load_module(&conn).context("loading the rarray module")?;
    // Every fixed statement stays prepared; the default of 16 is smaller
    // than the catalogue's working set.
    conn.set_prepared_statement_cache_capacity(128);

    migrate(&mut conn, Backend::Sqlite, path)?;
    Ok(conn)
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
        .map_err(|e| fail(format!("cannot read the database header: {e}")))?;
    let current: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| fail(format!("cannot read the schema version: {e}")))?;
    if current == known && app == APPLICATION_ID {
        // Up to date: opening takes no write lock.
        return Ok(());
    }
    if app != 0 && app != APPLICATION_ID {
        return Err(fail(format!(
            "this SQLite database belongs to another application (application_id {app:#x}); \
             point stencil at a catalogue file"
        )));
    }
    for (i, script) in scripts.iter().enumerate() {
        let target = i as i64 + 1;
        // IMMEDIATE, and the version read inside the transaction: two
        // processes opening a new file at once must not both migrate it.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| fail(format!("cannot lock the database to migrate it: {e}")))?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| fail(format!("cannot read the schema version: {e}")))?;
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
                .map_err(|e| fail(format!("cannot inspect the database: {e}")))?;
            if tables > 0 && app == 0 {
                return Err(fail(
                    "the file is a SQLite database with tables but not a stencil catalogue; \
                     point stencil at a new or existing catalogue file"
                        .to_owned(),
                ));
            }
        }
        tx.execute_batch(script)
            .map_err(|e| fail(format!("migration to schema version {target} failed: {e}")))?;
        tx.pragma_update(None, "user_version", target)
            .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID))
            .map_err(|e| fail(format!("cannot record schema version {target}: {e}")))?;
        tx.commit()
            .map_err(|e| fail(format!("cannot commit schema version {target}: {e}")))?;
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
