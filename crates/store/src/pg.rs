//! The PostgreSQL connection layer (feature `postgres`): a pool of
//! connections that each keep their prepared statements, transactions,
//! migrations, the count-mode switch, and error mapping.
//!
//! Why an own `r2d2::ManageConnection` rather than `r2d2_postgres` (whose
//! versions fit): its manager hands out a bare `postgres::Client`, with
//! nowhere to keep the statements prepared on that connection. Re-preparing
//! costs a round trip per statement (about 80 µs against 46 µs for a
//! prepared one on loopback here), so [`PgConn`] pairs the client with its
//! statement map, and the manager is the 20 lines below.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Statement};

use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::model::CountMode;
use crate::param::Param;

/// Prepared statements kept per connection before the map is cleared: the
/// fixed statements plus every listing shape the catalogue keeps.
const MAX_PREPARED: usize = 512;

/// The key of the advisory lock that serialises migrations and count-mode
/// switches (the bytes `stnc`).
const MIGRATION_LOCK: i64 = 0x73_74_6e_63;

/// One server connection with the statements prepared on it.
pub(crate) struct PgConn {
    client: Client,
    prepared: HashMap<String, Statement>,
    /// Set when a statement failed with [`Error::Unavailable`]: the pool
    /// then discards the connection instead of handing it out again (after
    /// a server-side termination the client may not notice it is closed
    /// until the next write to the socket).
    broken: bool,
}

/// A connection checked out of the pool for one operation.
pub(crate) type Session = r2d2::PooledConnection<Manager>;

/// Shows a driver error with what the server said: the driver's own
/// `Display` of a server error is only "db error", which drops the
/// message, the SQLSTATE, and any detail or hint.
pub(crate) struct Shown<'a>(pub(crate) &'a postgres::Error);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(db) = self.0.as_db_error() else {
            return std::fmt::Display::fmt(self.0, f);
        };
        write!(
            f,
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        )?;
        if let Some(detail) = db.detail() {
            write!(f, "; {detail}")?;
        }
        if let Some(hint) = db.hint() {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

/// Maps a driver error. A closed connection, an I/O failure or a server
/// shutting down is [`Error::Unavailable`] (retryable); the rest is
/// [`Error::Database`].
pub(crate) fn error(context: &'static str, e: postgres::Error) -> Error {
    let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
    let gone = e.code().is_some_and(|c| {
        let c = c.code();
        c.starts_with("08") || c.starts_with("57P")
    });
    if e.is_closed() || io || gone {
        Error::Unavailable {
            context,
            reason: Shown(&e).to_string(),
        }
    } else {
        Error::Database {
            context,
            source: crate::error::DriverError::postgres(e),
        }
    }
}

fn refs<'p>(params: &'p [Param<'_>]) -> Result<Vec<&'p (dyn ToSql + Sync)>> {
    params
        .iter()
        .map(|p| -> Result<&'p (dyn ToSql + Sync)> {
            Ok(match p {
                Param::Int(v) => v,
                Param::OptInt(v) => v,
                Param::Bool(v) => v,
                Param::Text(v) => v,
                Param::OptText(v) => v,
                Param::Bytes(v) => v,
                Param::Ids(v) => v,
                Param::Value(v) => crate::binder::pg(v)?,
            })
        })
        .collect()
}

impl PgConn {
    /// Maps a driver error, remembering when it broke the connection.
    fn fail(&mut self, context: &'static str, e: postgres::Error) -> Error {
        let e = error(context, e);
        if matches!(e, Error::Unavailable { .. }) {
            self.broken = true;
        }
        e
    }

    fn prepare(&mut self, sql: &str, ctx: &'static str) -> Result<Statement> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        if self.prepared.len() >= MAX_PREPARED {
            self.prepared.clear();
        }
        let s = match self.client.prepare(sql) {
            Ok(s) => s,
            Err(e) => return Err(self.fail(ctx, e)),
        };
        self.prepared.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
    ) -> Result<Vec<postgres::Row>> {
        let stmt = self.prepare(sql, ctx)?;
        let out = self.client.query(&stmt, &refs(params)?);
        out.map_err(|e| self.fail(ctx, e))
    }

    pub(crate) fn execute(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
    ) -> Result<u64> {
        let stmt = self.prepare(sql, ctx)?;
        let out = self.client.execute(&stmt, &refs(params)?);
        out.map_err(|e| self.fail(ctx, e))
    }

    /// Runs a statement with driver-typed parameters: the array binds of
    /// the bulk import (`catalog/bulk_import.rs`), which [`Param`] does not
    /// model because SQLite has no arrays to bind them to.
    pub(crate) fn query_typed(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        ctx: &'static str,
    ) -> Result<Vec<postgres::Row>> {
        let stmt = self.prepare(sql, ctx)?;
        let out = self.client.query(&stmt, params);
        out.map_err(|e| self.fail(ctx, e))
    }

    /// [`PgConn::query_typed`] for a statement without rows: rows changed.
    pub(crate) fn execute_typed(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        ctx: &'static str,
    ) -> Result<u64> {
        let stmt = self.prepare(sql, ctx)?;
        let out = self.client.execute(&stmt, params);
        out.map_err(|e| self.fail(ctx, e))
    }

    fn batch(&mut self, sql: &str, ctx: &'static str) -> Result<()> {
        let out = self.client.batch_execute(sql);
        out.map_err(|e| self.fail(ctx, e))
    }
}

/// Opens connections for the pool and sets each one up.
pub(crate) struct Manager {
    config: Config,
    /// `SET …` statements run once per new connection.
    setup: String,
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        let mut client = self.config.connect(NoTls)?;
        client.batch_execute(&self.setup)?;
        Ok(PgConn {
            client,
            prepared: HashMap::new(),
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}

/// What [`Pool::open`] needs from the catalogue builder.
pub(crate) struct Options<'a> {
    pub(crate) schema: Option<&'a str>,
    pub(crate) pool_size: u32,
    pub(crate) timeout: Duration,
    pub(crate) lock_timeout: Duration,
}

/// The catalogue's connection pool; cloning shares it.
#[derive(Clone)]
pub(crate) struct Pool {
    pool: r2d2::Pool<Manager>,
}

/// A PostgreSQL identifier, double-quoted.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Pool {
    /// Parses `conn_str` (`postgres://…` URL or `host=… dbname=…`), builds
    /// the pool and checks one connection out: the returned name says
    /// where the catalogue lives (never the password).
    pub(crate) fn open(conn_str: &str, o: &Options<'_>) -> Result<(Pool, String)> {
        let shown = crate::target::redact_password(conn_str);
        let mut config: Config = conn_str.parse().map_err(|e: postgres::Error| {
            Error::invalid("PostgreSQL connection string", &shown, e.to_string())
        })?;
        config.connect_timeout(o.timeout);
        if config.get_application_name().is_none() {
            config.application_name("stencil");
        }
        let mut setup = format!(
            "SET lock_timeout = {}; SET client_min_messages = warning;",
            o.lock_timeout.as_millis().max(1)
        );
        if let Some(schema) = o.schema {
            setup.push_str(&format!(" SET search_path TO {};", quote_ident(schema)));
        }
        let host = config.get_hosts().first().map_or_else(
            || "localhost".to_owned(),
            |h| match h {
                postgres::config::Host::Tcp(h) => h.clone(),
                #[cfg(unix)]
                postgres::config::Host::Unix(p) => p.display().to_string(),
            },
        );
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let db = config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or("postgres")
            .to_owned();
        let mut name = format!("postgres://{host}:{port}/{db}");
        if let Some(schema) = o.schema {
            name.push_str(&format!(" (schema {schema})"));
        }
        let pool = r2d2::Pool::builder()
            .max_size(o.pool_size.max(1))
            // Connect on demand: a catalogue that one thread uses holds one
            // connection, not `max_size`.
            .min_idle(Some(0))
            .connection_timeout(o.timeout)
            // A checkout validity probe would add a round trip to every
            // operation; a broken connection is detected by the failing
            // statement instead (a retryable error) and then discarded.
            .test_on_check_out(false)
            .build_unchecked(Manager { config, setup });
        Ok((Pool { pool }, name))
    }

    fn get(&self) -> Result<Session> {
        self.pool.get().map_err(|e| Error::Unavailable {
            context: "taking a connection from the pool",
            reason: e.to_string(),
        })
    }

    /// Runs `f` on a pooled connection: in a transaction (read-only
    /// repeatable read for reads, so a multi-statement read sees one
    /// snapshot) or, with `tx == None`, in autocommit. `counters` counts
    /// the transaction statements; `f` counts its own.
    pub(crate) fn run<T>(
        &self,
        counters: &Counters,
        tx: Option<Tx>,
        f: impl FnOnce(&RefCell<Session>) -> Result<T>,
    ) -> Result<T> {
        let session = RefCell::new(self.get()?);
        let Some(tx) = tx else {
            return f(&session);
        };
        let begin = match tx {
            Tx::Read => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            Tx::Write => "BEGIN",
        };
        counters.transaction();
        session
            .borrow_mut()
            .batch(begin, "starting a transaction")?;
        let out = f(&session);
        counters.transaction();
        match out {
            Ok(out) => {
                session.borrow_mut().batch("COMMIT", "committing")?;
                Ok(out)
            }
            Err(e) => {
                // If the connection is gone the server has rolled back; the
                // first error is the one worth reporting.
                let _ = session.borrow_mut().batch("ROLLBACK", "rolling back");
                Err(e)
            }
        }
    }

    /// Applies pending migrations and the requested count mode; returns the
    /// count mode in force.
    pub(crate) fn migrate(
        &self,
        name: &str,
        requested: Option<CountMode>,
        recount: &[&str],
    ) -> Result<CountMode> {
        let fail = |reason: String| Error::Migration {
            path: name.to_owned(),
            reason,
        };
        let scripts = crate::backend::Backend::Postgres.migrations();
        let known = scripts.len() as i64;
        let mut session = self.pool.get().map_err(|e| {
            fail(format!(
                "cannot connect to the PostgreSQL server: {e}; check the connection string and \
                 that the server runs"
            ))
        })?;
        let client = &mut session.client;
        let state = |c: &mut postgres::Transaction<'_>| -> Result<Option<(i64, CountMode)>> {
            let row = c
                .query_one(
                    "SELECT current_schema(), to_regclass('stencil_schema') IS NOT NULL",
                    &[],
                )
                .map_err(|e| fail(format!("cannot inspect the database: {}", Shown(&e))))?;
            let schema: Option<String> = row.get(0);
            if schema.is_none() {
                return Err(fail(
                    "no schema of the search path exists; create the schema first \
                     (CREATE SCHEMA …) or choose another with CatalogBuilder::postgres_schema"
                        .to_owned(),
                ));
            }
            if !row.get::<_, bool>(1) {
                return Ok(None);
            }
            let row = c
                .query_one("SELECT version, count_mode FROM stencil_schema", &[])
                .map_err(|e| fail(format!("cannot read the schema version: {}", Shown(&e))))?;
            let mode = match row.get::<_, &str>(1) {
                "query" => CountMode::Query,
                _ => CountMode::Triggers,
            };
            Ok(Some((row.get(0), mode)))
        };
        let mut tx = client
            .transaction()
            .map_err(|e| fail(format!("cannot start a transaction: {}", Shown(&e))))?;
        // Two clients opening a new database at once must not both migrate.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(|e| fail(format!("cannot take the migration lock: {}", Shown(&e))))?;
        let (mut version, mut mode) = match state(&mut tx)? {
            Some(s) => s,
            None => {
                let tables: i64 = tx
                    .query_one(
                        "SELECT count(*) FROM information_schema.tables \
                         WHERE table_schema = current_schema()",
                        &[],
                    )
                    .map_err(|e| fail(format!("cannot inspect the database: {}", Shown(&e))))?
                    .get(0);
                if tables > 0 {
                    return Err(fail(
                        "the schema has tables but is not a stencil catalogue; point stencil at \
                         an empty schema (CatalogBuilder::postgres_schema) or database"
                            .to_owned(),
                    ));
                }
                (0, CountMode::Triggers)
            }
        };
        if version > known {
            return Err(fail(format!(
                "the catalogue has schema version {version}, newer than the {known} this build of \
                 stencil understands; upgrade stencil to open it"
            )));
        }
        while version < known {
            let target = version + 1;
            let script = scripts[version as usize];
            tx.batch_execute(script).map_err(|e| {
                fail(format!(
                    "migration to schema version {target} failed: {}",
                    Shown(&e)
                ))
            })?;
            tx.execute("UPDATE stencil_schema SET version = $1", &[&target])
                .map_err(|e| {
                    fail(format!(
                        "cannot record schema version {target}: {}",
                        Shown(&e)
                    ))
                })?;
            version = target;
        }
        if let Some(want) = requested.filter(|&m| m != mode) {
            let (verb, text) = match want {
                CountMode::Triggers => ("ENABLE", "triggers"),
                CountMode::Query => ("DISABLE", "query"),
            };
            let mut sql = String::new();
            for (table, trigger) in [
                ("collection_members", "collection_members_count"),
                ("group_members", "group_members_count"),
                ("collection_groups", "collection_groups_count"),
            ] {
                sql.push_str(&format!("ALTER TABLE {table} {verb} TRIGGER {trigger}; "));
            }
            tx.batch_execute(&sql)
                .map_err(|e| fail(format!("cannot switch to count mode {text}: {}", Shown(&e))))?;
            if want == CountMode::Triggers {
                // Counters were not kept while the triggers were off.
                for sql in recount {
                    tx.execute(*sql, &[])
                        .map_err(|e| fail(format!("cannot recount: {}", Shown(&e))))?;
                }
            }
            tx.execute("UPDATE stencil_schema SET count_mode = $1", &[&text])
                .map_err(|e| fail(format!("cannot record count mode {text}: {}", Shown(&e))))?;
            mode = want;
        }
        tx.commit()
            .map_err(|e| fail(format!("cannot commit the migration: {}", Shown(&e))))?;
        Ok(mode)
    }
}

/// The kind of transaction [`Pool::run`] opens.
#[derive(Clone, Copy)]
pub(crate) enum Tx {
    Read,
    Write,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
