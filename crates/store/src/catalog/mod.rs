//! [`Catalog`]: the handle, opening, accessors, and the read/write and
//! lookup helpers every operation uses. The operations themselves are one
//! `impl Catalog` per concern, one file each: `artifacts.rs`, `listing.rs`,
//! `collections.rs` (with groups), `templates.rs`, `maintenance.rs`;
//! `builder.rs` configures.
//!
//! Every operation is written once against the internal connection seam
//! (`conn.rs`): a `Conn` is a SQLite connection (`sqlite.rs`) or a pooled
//! PostgreSQL session (`pg.rs`), and the SQL it runs was printed for its
//! backend by `queries/`.

mod artifacts;
mod builder;
#[cfg(feature = "postgres")]
mod bulk_import;
mod collections;
mod files;
mod install;
mod listing;
mod maintenance;
mod open;
mod settings;
mod sourced;
mod templates;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use builder::CatalogBuilder;
pub use install::{ArtifactSource, InstallOutcome};

use crate::backend::{Backend, Buildable};
use crate::cache::CountCache;
use crate::conn::Conn;
use crate::counters::Counters;
use crate::error::{Context, Error, ObjectKind, Result};
use crate::model::{ArtifactKey, CountMode, Stats};
use crate::param::args;
use crate::queries::{Queries, Shape};
use crate::target::CatalogTarget;

/// How many distinct listing shapes keep their printed SQL.
const MAX_SHAPES: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum ShapeKind {
    Page,
    /// With the page size: its LIMIT is part of the text.
    PageWithCollections(u32),
    /// SQLite's joined page, for shapes that stream (no LIMIT in the text).
    PageJoined,
    FacetTypes,
    FacetTags,
}

/// The database behind a catalogue.
enum Db {
    /// Behind a mutex so a `Catalog` is `Sync`; the lock is held for one
    /// operation, and costs about 20 ns uncontended against microseconds
    /// per statement.
    Sqlite(Mutex<Connection>),
    #[cfg(feature = "postgres")]
    Postgres(crate::pg::Pool),
}

/// The catalogue: artifacts, collections, groups, tags and templates in one
/// SQLite or PostgreSQL database.
///
/// Every read method loads exactly what its return type holds, in a stated
/// number of SQL statements that does not depend on page size or data
/// (see [`Catalog::stats`]). Multi-statement reads run in one read
/// transaction, so they see one snapshot. Every write runs in one
/// transaction and invalidates the count cache after its commit.
///
/// A `Catalog` is `Send` and `Sync`, so one can sit in an `Arc` shared by
/// threads. PostgreSQL: each operation checks out its own pooled
/// connection, so threads sharing a catalogue run in parallel up to
/// [`CatalogBuilder::pool_size`]; [`Catalog::try_clone`] gives another handle
/// on the same pool, count cache and statistics. SQLite: a catalogue owns one
/// connection (a `rusqlite::Connection` is not `Sync`), so threads sharing
/// one take turns, an operation at a time; for parallel reads give each
/// thread its own from [`Catalog::try_clone`] (WAL lets them read while one
/// writes).
///
/// The PostgreSQL client is blocking (the `postgres` crate runs its own
/// small async runtime per connection, and panics when called from inside
/// another one). From async code, call the catalogue through
/// `tokio::task::spawn_blocking` or an equivalent thread pool, never
/// directly on an async task.
pub struct Catalog {
    db: Db,
    backend: Backend,
    count_mode: CountMode,
    q: Arc<Queries>,
    shapes: Mutex<HashMap<(ShapeKind, Shape), Arc<str>>>,
    cache: Arc<CountCache>,
    counters: Arc<Counters>,
    path: String,
    /// The last `PRAGMA data_version` seen, when external writes are detected.
    data_version: Option<AtomicI64>,
    /// Opened read-only: writes fail with [`Error::ReadOnly`] before they
    /// start.
    read_only: bool,
    builder: CatalogBuilder,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.path)
            .field("backend", &self.backend)
            .field("count_mode", &self.count_mode)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Separates tag names in `artifacts.tag_names`; names cannot contain it.
const TAG_SEPARATOR: char = '\u{1f}';

fn join_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, t) in tags.into_iter().enumerate() {
        if i > 0 {
            out.push(TAG_SEPARATOR);
        }
        out.push_str(t);
    }
    out
}

fn split_tags(joined: &str) -> Vec<String> {
    if joined.is_empty() {
        Vec::new()
    } else {
        joined.split(TAG_SEPARATOR).map(str::to_owned).collect()
    }
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Takes a SQLite connection for one operation. A panic in another thread
/// while it held the lock leaves nothing half-done to see: its transaction
/// rolled back when the guard's `Transaction` dropped.
fn locked(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Catalog {
    /// A builder to set cache size, TTL, timeouts and the count mode before
    /// opening.
    pub fn builder() -> CatalogBuilder {
        CatalogBuilder::default()
    }

    /// Opens (creating if needed) the catalogue file at `path` with default
    /// settings, migrating it to the current schema.
    ///
    /// Refuses a database written by a newer schema version, or a SQLite file
    /// that is not a stencil catalogue, with [`Error::Migration`].
    pub fn open(path: impl AsRef<Path>) -> Result<Catalog> {
        Self::builder().open(path)
    }

    /// Opens a fresh in-memory catalogue with default settings.
    pub fn open_in_memory() -> Result<Catalog> {
        Self::builder().open_in_memory()
    }

    /// Opens the catalogue a [`CatalogTarget`] names, with default settings
    /// (see [`CatalogBuilder::open_target`]).
    pub fn open_target(target: &CatalogTarget) -> Result<Catalog> {
        Self::builder().open_target(target)
    }

    /// Opens the catalogue in a PostgreSQL database with default settings:
    /// `conn_str` is a `postgres://…` URL or a `host=… dbname=…` string.
    /// See [`CatalogBuilder::open_postgres`].
    ///
    /// ```no_run
    /// let catalog = stencil_store::Catalog::open_postgres("host=127.0.0.1 user=postgres dbname=stencil")?;
    /// # Ok::<(), stencil_store::Error>(())
    /// ```
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub fn open_postgres(conn_str: &str) -> Result<Catalog> {
        Self::builder().open_postgres(conn_str)
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        db: Db,
        backend: Backend,
        count_mode: CountMode,
        q: Arc<Queries>,
        cache: Arc<CountCache>,
        counters: Arc<Counters>,
        path: String,
        builder: CatalogBuilder,
    ) -> Catalog {
        Catalog {
            db,
            backend,
            count_mode,
            q,
            shapes: Mutex::new(HashMap::new()),
            cache,
            counters,
            path,
            data_version: builder
                .detect_external_writes
                .then(|| AtomicI64::new(i64::MIN)),
            read_only: false,
            builder,
        }
    }

    fn sqlite(
        conn: Connection,
        path: String,
        counters: Arc<Counters>,
        b: CatalogBuilder,
    ) -> Catalog {
        let backend = Backend::Sqlite;
        Catalog::assemble(
            Db::Sqlite(Mutex::new(conn)),
            backend,
            CountMode::Triggers,
            Arc::new(Queries::new(backend, CountMode::Triggers)),
            Arc::new(CountCache::new(b.cache_capacity, b.cache_ttl)),
            counters,
            path,
            b,
        )
    }

    /// Another handle on the same catalogue, for another thread.
    ///
    /// PostgreSQL: shares the connection pool, the count cache (so a write
    /// through one handle invalidates the counts of all) and the statistics;
    /// costs no connection until used. SQLite: opens the file again with the
    /// same settings (a new connection, its own cache and statistics; other
    /// handles' writes show within the TTL). An in-memory SQLite catalogue
    /// cannot be shared and is refused with [`Error::Invalid`].
    pub fn try_clone(&self) -> Result<Catalog> {
        match &self.db {
            Db::Sqlite(_) if self.path == ":memory:" => Err(Error::invalid(
                "catalogue",
                &self.path,
                "an in-memory SQLite catalogue lives in one connection and cannot be shared",
            )),
            Db::Sqlite(_) => self.builder.clone().open(&self.path),
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => Ok(Catalog::assemble(
                Db::Postgres(pool.clone()),
                self.backend,
                self.count_mode,
                Arc::clone(&self.q),
                Arc::clone(&self.cache),
                Arc::clone(&self.counters),
                self.path.clone(),
                self.builder.clone(),
            )),
        }
    }

    /// Whether the catalogue was opened read-only because its file or
    /// directory cannot be written: writes then fail with
    /// [`Error::ReadOnly`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The SQL dialect of this catalogue.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How this catalogue's collection and group counts are kept.
    pub fn count_mode(&self) -> CountMode {
        self.count_mode
    }

    /// Where the catalogue lives: the database file (`:memory:` for an
    /// in-memory catalogue) or `postgres://host:port/dbname` (never a
    /// password).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Statements run and count-cache hits and misses since opening.
    ///
    /// Tests take the difference of two snapshots to check statement budgets.
    pub fn stats(&self) -> Stats {
        Stats {
            statements: self.counters.statements.load(Ordering::Relaxed),
            transactions: self.counters.transactions.load(Ordering::Relaxed),
            cache_hits: self.cache.hits(),
            cache_misses: self.cache.misses(),
        }
    }

    /// A pooled PostgreSQL session as a connection of the seam.
    #[cfg(feature = "postgres")]
    fn pg<'a>(&'a self, session: &'a std::cell::RefCell<crate::pg::Session>) -> Conn<'a> {
        Conn::Postgres {
            session,
            counters: &self.counters,
        }
    }

    /// Runs `f` outside an explicit transaction (single-statement reads).
    fn with_conn<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.db {
            Db::Sqlite(conn) => f(&Conn::Sqlite(&locked(conn))),
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => pool.run(&self.counters, None, |s| f(&self.pg(s))),
        }
    }

    /// Drops the pages a read left in the connection's page cache (SQLite;
    /// nothing on PostgreSQL). For reads of contents that are read once:
    /// a deploy of 10,000 files of 1 KiB would otherwise keep their 14 MiB
    /// of pages to the end of the process (the cache allows 64 MiB, for
    /// bulk imports). The pages stay in the operating system's cache.
    pub(super) fn release_pages(&self) {
        match &self.db {
            // Only frees memory; a failure leaves the cache as it was.
            Db::Sqlite(conn) => {
                let _ = locked(conn).release_memory();
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => {}
        }
    }

    /// Runs `f` in one read transaction so multi-statement reads see one
    /// snapshot.
    fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.db {
            Db::Sqlite(conn) => {
                let conn = locked(conn);
                let tx = conn
                    .unchecked_transaction()
                    .context("starting a read transaction")?;
                let out = f(&Conn::Sqlite(&tx))?;
                tx.commit().context("ending a read transaction")?;
                Ok(out)
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => {
                pool.run(
                    &self.counters,
                    Some(crate::pg::Tx::Read),
                    |s| f(&self.pg(s)),
                )
            }
        }
    }

    /// Runs `f` in one write transaction, then invalidates the count cache
    /// (after the commit, so no reader can refill it from the old state).
    fn write<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        if self.read_only {
            return Err(Error::ReadOnly {
                path: self.path.clone(),
            });
        }
        let out = match &self.db {
            Db::Sqlite(conn) => {
                let conn = locked(conn);
                // IMMEDIATE takes the write lock up front: a deferred
                // transaction that upgrades later can fail with SQLITE_BUSY
                // regardless of the busy timeout.
                let tx = Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)
                    .context("starting a write transaction")?;
                let out = f(&Conn::Sqlite(&tx))?;
                tx.commit().context("committing").map(|()| out)
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => pool.run(&self.counters, Some(crate::pg::Tx::Write), |s| {
                f(&self.pg(s))
            }),
        };
        self.cache.invalidate();
        out
    }

    /// Drops the count cache if another connection committed since the last
    /// check (only with [`CatalogBuilder::detect_external_writes`]).
    fn sync_external_writes(&self) -> Result<()> {
        let (Some(seen), Some(probe)) = (&self.data_version, self.backend.external_change_probe())
        else {
            return Ok(());
        };
        let now: i64 = self
            .with_conn(|c| {
                c.query_opt(
                    probe,
                    &[],
                    "checking for writes by other connections",
                    |r| r.get(0),
                )
            })?
            .unwrap_or(0);
        if seen.swap(now, Ordering::Relaxed) != now {
            self.cache.invalidate();
        }
        Ok(())
    }

    /// The printed SQL of a listing shape, built on first use.
    fn shape_sql(
        &self,
        kind: ShapeKind,
        shape: Shape,
        build: impl FnOnce() -> sea_query::SelectStatement,
    ) -> Arc<str> {
        self.shape_text(kind, shape, || build().build_for(self.backend).0)
    }

    /// The SQL text of a listing shape, made on first use.
    fn shape_text(&self, kind: ShapeKind, shape: Shape, make: impl FnOnce() -> String) -> Arc<str> {
        let mut shapes = self.shapes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sql) = shapes.get(&(kind, shape.clone())) {
            return Arc::clone(sql);
        }
        if shapes.len() >= MAX_SHAPES {
            shapes.clear();
        }
        let sql: Arc<str> = make().into();
        shapes.insert((kind, shape), Arc::clone(&sql));
        sql
    }

    // Lookups by name, shared by the operations of every file.

    fn artifact_id(&self, c: &Conn<'_>, key: &ArtifactKey) -> Result<Option<i64>> {
        c.query_opt(
            &self.q.artifacts.id,
            args![key.kind(), key.name()],
            "looking up an artifact",
            |r| r.get(0),
        )
    }

    fn require_artifact(&self, c: &Conn<'_>, key: &ArtifactKey) -> Result<i64> {
        self.artifact_id(c, key)?
            .ok_or_else(|| Error::not_found(ObjectKind::Artifact, key.to_string()))
    }

    fn collection_id(&self, c: &Conn<'_>, name: &str) -> Result<i64> {
        c.query_opt(
            &self.q.collections.id,
            args![name],
            "looking up a collection",
            |r| r.get(0),
        )?
        .ok_or_else(|| Error::not_found(ObjectKind::Collection, name))
    }

    fn group_id(&self, c: &Conn<'_>, collection: &str, group: &str) -> Result<(i64, i64)> {
        let cid = self.collection_id(c, collection)?;
        let gid = c
            .query_opt(
                &self.q.collections.group_id,
                args![cid, group],
                "looking up a group",
                |r| r.get(0),
            )?
            .ok_or_else(|| Error::not_found(ObjectKind::Group, format!("{collection}/{group}")))?;
        Ok((cid, gid))
    }

    fn template_id(&self, c: &Conn<'_>, name: &str) -> Result<Option<i64>> {
        c.query_opt(
            &self.q.templates.id,
            args![name],
            "looking up a template",
            |r| r.get(0),
        )
    }

    fn tag_id(&self, c: &Conn<'_>, name: &str, known: &mut HashMap<String, i64>) -> Result<i64> {
        if let Some(id) = known.get(name) {
            return Ok(*id);
        }
        let find = || {
            c.query_opt(
                &self.q.artifacts.tag_find,
                args![name],
                "looking up a tag",
                |r| r.get(0),
            )
        };
        let id = match find()? {
            Some(id) => id,
            None => {
                match c.insert_id(&self.q.artifacts.tag_insert, args![name], "creating a tag")? {
                    Some(id) => id,
                    // A concurrent writer created it since the lookup.
                    None => find()?.ok_or_else(|| Error::not_found(ObjectKind::Tag, name))?,
                }
            }
        };
        known.insert(name.to_owned(), id);
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        let catalog = Catalog::open_in_memory().unwrap();
        assert_send_sync(&catalog);
        let moved = std::thread::spawn(move || catalog.list_templates().map(|t| t.len()))
            .join()
            .unwrap();
        assert_eq!(moved.unwrap(), 0);
    }

    #[test]
    fn an_in_memory_catalogue_cannot_be_shared_and_a_file_can() {
        let err = Catalog::open_in_memory().unwrap().try_clone().unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
        let dir = tempfile::tempdir().unwrap();
        let one = Catalog::open(dir.path().join("c.db")).unwrap();
        let two = one.try_clone().unwrap();
        one.create_collection("x", "").unwrap();
        assert_eq!(two.list_collections(10, None).unwrap().items.len(), 1);
    }
}
