//! [`Catalog`]: the connection, its migrations, and every operation.
//!
//! Every operation is written once against the internal connection seam
//! (`conn.rs`): a `Conn` is a SQLite connection or a pooled PostgreSQL
//! session, and the SQL it runs was printed for its backend by `queries.rs`.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::backend::{Backend, Buildable};
use crate::cache::CountCache;
use crate::conn::{Conn, Counters, Param, Row, args};
use crate::cursor;
use crate::error::{Context, Error, ObjectKind, Result};
use crate::model::*;
use crate::queries::{self, After, Filter, Queries, Shape};

/// Identifies a SQLite file as a stencil catalogue (`PRAGMA application_id`,
/// the bytes `stnc`), so opening some other database is refused instead of
/// migrated.
const APPLICATION_ID: i32 = 0x73_74_6e_63;

/// How many distinct listing shapes keep their printed SQL.
const MAX_SHAPES: usize = 256;

/// How collection and group counts are kept.
///
/// * [`CountMode::Triggers`] (the default): triggers update
///   `collections.artifact_count`, `group_count` and the group counts in the
///   writing transaction, so every read gets them as plain columns, exact
///   and free. The price is a row lock on the collection for every
///   membership change: on PostgreSQL, writers adding to *one* collection
///   queue behind each other (8 writers reached ~950 inserts/s here against
///   3,300–4,050/s without the trigger).
/// * [`CountMode::Query`] (PostgreSQL only): no counting triggers. Counts are
///   computed when read (`count(*)` over the membership index, one `GROUP
///   BY` for a whole listing page) and the page's collection counts go
///   through the count cache. Choose it when many clients write memberships
///   of the same few collections concurrently (bulk tagging, importers
///   running in parallel) and reads can afford an index range scan per
///   counted collection; keep the triggers when reads dominate, which is
///   the common case.
///
/// The mode belongs to the database: opening with a different mode switches
/// it (and recounts when the triggers come back), so switch while no other
/// client writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CountMode {
    /// Counters kept by triggers, read as columns.
    #[default]
    Triggers,
    /// No counting triggers; counts computed on read and cached.
    Query,
}

/// Configures and opens a [`Catalog`].
///
/// ```
/// use std::time::Duration;
/// let catalog = stencil_store::Catalog::builder()
///     .cache_capacity(1024)
///     .cache_ttl(Duration::from_millis(500))
///     .open_in_memory()?;
/// # Ok::<(), stencil_store::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CatalogBuilder {
    cache_capacity: NonZeroUsize,
    cache_ttl: Duration,
    busy_timeout: Duration,
    detect_external_writes: bool,
    count_mode: Option<CountMode>,
    postgres_schema: Option<String>,
    pool_size: u32,
    pool_timeout: Duration,
}

impl Default for CatalogBuilder {
    fn default() -> Self {
        CatalogBuilder {
            cache_capacity: NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN),
            cache_ttl: Duration::from_secs(1),
            busy_timeout: Duration::from_secs(5),
            detect_external_writes: false,
            count_mode: None,
            postgres_schema: None,
            pool_size: 8,
            pool_timeout: Duration::from_secs(5),
        }
    }
}

impl CatalogBuilder {
    /// Entries kept per kind of cached count (collections, facet filters);
    /// default 4096. Zero is treated as one.
    pub fn cache_capacity(mut self, entries: usize) -> Self {
        self.cache_capacity = NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN);
        self
    }

    /// How long a cached count may be served, bounding how stale it can be
    /// after a write by *another* process or catalogue (writes through this
    /// catalogue invalidate at once). Default one second; zero disables the
    /// cache.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Before each cached count read, ask SQLite whether another connection
    /// (another process or `Catalog`) has committed since the last read
    /// (`PRAGMA data_version`) and drop the cache if so: cached counts are
    /// then as fresh as uncached ones, without waiting for the TTL. Costs one
    /// statement per cached read (about 3 µs here), so it is off by default
    /// and the statement budgets are stated without it. PostgreSQL has no
    /// equivalent probe; there the TTL bounds staleness.
    pub fn detect_external_writes(mut self, on: bool) -> Self {
        self.detect_external_writes = on;
        self
    }

    /// How long a statement waits for another writer's lock before failing
    /// with a (retryable) database error. Default five seconds. SQLite: the
    /// busy timeout; PostgreSQL: `lock_timeout`.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How collection and group counts are kept (see [`CountMode`]). Unset,
    /// a new catalogue uses [`CountMode::Triggers`] and an existing one keeps
    /// its mode; set, opening switches the database to it. SQLite supports
    /// only [`CountMode::Triggers`]: it has one writer at a time, so the
    /// trigger's row lock costs it nothing.
    pub fn count_mode(mut self, mode: CountMode) -> Self {
        self.count_mode = Some(mode);
        self
    }

    /// PostgreSQL: the schema the catalogue lives in (every pooled
    /// connection sets `search_path` to it), so one database can hold
    /// several catalogues. The schema must exist. Default: the server's
    /// search path (normally `public`).
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Self {
        self.postgres_schema = Some(schema.into());
        self
    }

    /// PostgreSQL: the most connections the catalogue's pool opens
    /// (default 8). Connections are opened on demand, so a catalogue used
    /// by one thread holds one; handles from [`Catalog::try_clone`] share
    /// the pool.
    pub fn pool_size(mut self, connections: u32) -> Self {
        self.pool_size = connections.max(1);
        self
    }

    /// PostgreSQL: how long connecting, or waiting for a free pooled
    /// connection, may take before the operation fails with the retryable
    /// [`Error::Unavailable`]. Default five seconds.
    pub fn pool_timeout(mut self, timeout: Duration) -> Self {
        self.pool_timeout = timeout;
        self
    }

    /// Opens (creating if needed) the catalogue file at `path` and migrates it
    /// to the current schema.
    pub fn open(self, path: impl AsRef<Path>) -> Result<Catalog> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| Error::Migration {
            path: shown.clone(),
            reason: format!("cannot open the database file: {source}"),
        })?;
        Catalog::setup(conn, shown, true, self)
    }

    /// Opens a fresh catalogue that lives in memory only.
    pub fn open_in_memory(self) -> Result<Catalog> {
        let conn = Connection::open_in_memory().context("opening an in-memory database")?;
        Catalog::setup(conn, ":memory:".to_owned(), false, self)
    }

    /// Opens (creating the tables if needed) the catalogue in a PostgreSQL
    /// database and migrates it to the current schema. `conn_str` is a
    /// `postgres://user@host:port/dbname` URL or a `host=… dbname=…`
    /// key-value string (libpq syntax; no TLS). Connections come from a pool
    /// ([`CatalogBuilder::pool_size`]); each keeps its statements prepared.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(self, conn_str: &str) -> Result<Catalog> {
        let options = crate::pg::Options {
            schema: self.postgres_schema.as_deref(),
            pool_size: self.pool_size,
            timeout: self.pool_timeout,
            lock_timeout: self.busy_timeout,
        };
        let (pool, name) = crate::pg::Pool::open(conn_str, &options)?;
        let triggers = Queries::new(Backend::Postgres, CountMode::Triggers);
        let mode = pool.migrate(
            &name,
            self.count_mode,
            &[&triggers.recount_collections, &triggers.recount_groups],
        )?;
        let q = if mode == CountMode::Triggers {
            triggers
        } else {
            Queries::new(Backend::Postgres, mode)
        };
        Ok(Catalog::assemble(
            Db::Postgres(pool),
            Backend::Postgres,
            mode,
            Arc::new(q),
            Arc::new(CountCache::new(self.cache_capacity, self.cache_ttl)),
            Arc::new(Counters::default()),
            name,
            self,
        ))
    }
}

/// Whether `target` names a PostgreSQL database rather than a SQLite file:
/// a `postgres://` or `postgresql://` URL, or a libpq key-value string
/// (`host=… dbname=…`). The CLI uses it to pick the backend of
/// `--catalog`.
pub fn is_postgres_target(target: &str) -> bool {
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

/// A database target for messages: a connection string with its password
/// (`postgres://user:***@…`, `password=***`) replaced; a file path as is.
pub fn redact_password(target: &str) -> String {
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

fn is_transaction_control(sql: &str) -> bool {
    let head = sql.trim_start().as_bytes();
    ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "END"]
        .iter()
        .any(|k| head.len() >= k.len() && head[..k.len()].eq_ignore_ascii_case(k.as_bytes()))
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum ShapeKind {
    Page,
    /// With the page size: its LIMIT is part of the text.
    PageWithCollections(u32),
    FacetTypes,
    FacetTags,
}

/// The database behind a catalogue.
enum Db {
    Sqlite(Connection),
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
/// A `Catalog` is `Send` but not `Sync`. SQLite: it owns one connection;
/// open one per thread (WAL lets them read concurrently). PostgreSQL: it
/// holds a connection pool; give each thread a handle from
/// [`Catalog::try_clone`], which shares the pool, the count cache and the
/// statistics.
pub struct Catalog {
    db: Db,
    backend: Backend,
    count_mode: CountMode,
    q: Arc<Queries>,
    shapes: RefCell<HashMap<(ShapeKind, Shape), Arc<str>>>,
    cache: Arc<CountCache>,
    counters: Arc<Counters>,
    path: String,
    /// The last `PRAGMA data_version` seen, when external writes are detected.
    data_version: Option<std::cell::Cell<i64>>,
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

pub(crate) fn now_ms() -> i64 {
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

fn hex32(bytes: &[u8]) -> String {
    <[u8; 32]>::try_from(bytes).map_or_else(
        |_| String::from("(malformed hash)"),
        |b| blake3::Hash::from_bytes(b).to_hex().to_string(),
    )
}
/// Checks a blob read from the database against its hash.
fn verified(
    artifact: impl Fn() -> String,
    path: &str,
    hash: Option<Vec<u8>>,
    content: Option<Vec<u8>>,
    executable: bool,
    verbatim: bool,
) -> Result<ArtifactFile> {
    let corrupt = |hash: &[u8]| Error::Corrupt {
        artifact: artifact(),
        path: path.to_owned(),
        hash: hex32(hash),
    };
    let (Some(hash), Some(content)) = (hash, content) else {
        return Err(corrupt(&[]));
    };
    if blake3::hash(&content).as_bytes()[..] != hash[..] {
        return Err(corrupt(&hash));
    }
    Ok(ArtifactFile {
        path: path.to_owned(),
        content,
        hash: hex32(&hash),
        executable,
        verbatim,
    })
}

/// An artifact's files hashed and checked, ready to store.
struct Prepared<'a> {
    files: Vec<(&'a NewFile, blake3::Hash)>,
    digest: blake3::Hash,
    tags: BTreeSet<&'a str>,
}

fn prepare(a: &NewArtifact) -> Result<Prepared<'_>> {
    if a.files.is_empty() {
        return Err(Error::invalid(
            "artifact",
            &a.key.to_string(),
            "it has no files; an artifact needs at least one",
        ));
    }
    let mut files: Vec<_> = a
        .files
        .iter()
        .map(|f| (f, blake3::hash(&f.content)))
        .collect();
    files.sort_by(|x, y| x.0.path.cmp(&y.0.path));
    let mut digest = blake3::Hasher::new();
    for (i, (f, hash)) in files.iter().enumerate() {
        validate_file_path(&f.path)?;
        if i > 0 && files[i - 1].0.path == f.path {
            return Err(Error::invalid(
                "file path",
                &f.path,
                format!("artifact `{}` lists it twice", a.key),
            ));
        }
        // Length-prefixed so no two file lists hash alike by concatenation.
        digest.update(&(f.path.len() as u64).to_le_bytes());
        digest.update(f.path.as_bytes());
        digest.update(&[u8::from(f.executable) | u8::from(f.verbatim) << 1]);
        digest.update(hash.as_bytes());
    }
    let mut tags = BTreeSet::new();
    for t in &a.tags {
        validate_name("tag", t)?;
        tags.insert(t.as_str());
    }
    if let Some(source) = a.source.as_deref().filter(|s| s.contains('\0')) {
        return Err(Error::invalid("source", source, "it contains a NUL byte"));
    }
    Ok(Prepared {
        files,
        digest: digest.finalize(),
        tags,
    })
}

/// A listing page being read: rows, their ids, and their collections as
/// (page position, collection name, count — or id in `CountMode::Query`
/// until counted).
struct PageRows {
    ids: Vec<i64>,
    items: Vec<ArtifactSummary>,
    links: Vec<(usize, String, i64)>,
    more: bool,
}

impl PageRows {
    fn new(limit: usize) -> Self {
        PageRows {
            ids: Vec::with_capacity(limit + 1),
            items: Vec::with_capacity(limit + 1),
            links: Vec::new(),
            more: false,
        }
    }

    /// Attaches the collections (sorted by name) and the next cursor.
    fn finish(mut self, sort: ArtifactSort) -> ArtifactPage {
        for (at, name, n) in self.links {
            if let Some(item) = self.items.get_mut(at) {
                item.collections.push(CollectionRef {
                    name,
                    artifact_count: count(n),
                });
            }
        }
        for item in &mut self.items {
            item.collections
                .sort_unstable_by(|x, y| x.name.cmp(&y.name));
        }
        let next_cursor = match (self.items.last(), self.ids.last()) {
            (Some(last), Some(&id)) if self.more => Some(cursor::encode_artifact(&match sort {
                ArtifactSort::Name => After::Name {
                    name: last.key.name().to_owned(),
                    id,
                },
                ArtifactSort::RecentlyUpdated => After::Updated {
                    updated_at: last.updated_ms,
                    id,
                },
            })),
            _ => None,
        };
        ArtifactPage {
            items: self.items,
            next_cursor,
        }
    }
}

fn summary_row(r: &Row<'_>) -> Result<(i64, ArtifactSummary)> {
    let kind: String = r.get(1)?;
    let name: String = r.get(2)?;
    let key = ArtifactKey::new(kind, name)?;
    let tags: String = r.get(7)?;
    Ok((
        r.get(0)?,
        ArtifactSummary {
            key,
            description: r.get(3)?,
            source: r.get(4)?,
            created_ms: r.get(5)?,
            updated_ms: r.get(6)?,
            tags: split_tags(&tags),
            collections: Vec::new(),
        },
    ))
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

    /// Opens the catalogue in a PostgreSQL database with default settings:
    /// `conn_str` is a `postgres://…` URL or a `host=… dbname=…` string.
    /// See [`CatalogBuilder::open_postgres`].
    ///
    /// ```no_run
    /// let catalog = stencil_store::Catalog::open_postgres("host=127.0.0.1 user=postgres dbname=stencil")?;
    /// # Ok::<(), stencil_store::Error>(())
    /// ```
    #[cfg(feature = "postgres")]
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
            shapes: RefCell::new(HashMap::new()),
            cache,
            counters,
            path,
            data_version: builder
                .detect_external_writes
                .then(|| std::cell::Cell::new(i64::MIN)),
            builder,
        }
    }

    fn setup(mut conn: Connection, path: String, file: bool, b: CatalogBuilder) -> Result<Catalog> {
        if b.count_mode == Some(CountMode::Query) {
            return Err(Error::invalid(
                "count mode",
                "Query",
                "SQLite catalogues keep counts by trigger (one writer at a time, so the \
                 trigger's lock costs nothing); the trigger-free mode is for PostgreSQL",
            ));
        }
        let counters = Arc::new(Counters::default());
        let hook = Arc::clone(&counters);
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
        conn.busy_timeout(b.busy_timeout)
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
                    path,
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

        let backend = Backend::Sqlite;
        migrate(&mut conn, backend, &path)?;
        Ok(Catalog::assemble(
            Db::Sqlite(conn),
            backend,
            CountMode::Triggers,
            Arc::new(Queries::new(backend, CountMode::Triggers)),
            Arc::new(CountCache::new(b.cache_capacity, b.cache_ttl)),
            counters,
            path,
            b,
        ))
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

    /// Runs `f` outside an explicit transaction (single-statement reads).
    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.db {
            Db::Sqlite(conn) => f(&Conn::Sqlite(conn)),
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => pool.run(&self.counters, None, f),
        }
    }

    /// Runs `f` in one read transaction so multi-statement reads see one
    /// snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        match &self.db {
            Db::Sqlite(conn) => {
                let tx = conn
                    .unchecked_transaction()
                    .context("starting a read transaction")?;
                let out = f(&Conn::Sqlite(&tx))?;
                tx.commit().context("ending a read transaction")?;
                Ok(out)
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => pool.run(&self.counters, Some(crate::pg::Tx::Read), f),
        }
    }

    /// Runs `f` in one write transaction, then invalidates the count cache
    /// (after the commit, so no reader can refill it from the old state).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Conn<'_>) -> Result<T>) -> Result<T> {
        let out = match &self.db {
            Db::Sqlite(conn) => {
                // IMMEDIATE takes the write lock up front: a deferred
                // transaction that upgrades later can fail with SQLITE_BUSY
                // regardless of the busy timeout.
                let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
                    .context("starting a write transaction")?;
                let out = f(&Conn::Sqlite(&tx))?;
                tx.commit().context("committing").map(|()| out)
            }
            #[cfg(feature = "postgres")]
            Db::Postgres(pool) => pool.run(&self.counters, Some(crate::pg::Tx::Write), f),
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
        if seen.replace(now) != now {
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
        let mut shapes = self.shapes.borrow_mut();
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

    // ----------------------------------------------------------------- ids

    fn artifact_id(&self, c: &Conn<'_>, key: &ArtifactKey) -> Result<Option<i64>> {
        c.query_opt(
            &self.q.artifact_id,
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
            &self.q.collection_id,
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
                &self.q.group_id,
                args![cid, group],
                "looking up a group",
                |r| r.get(0),
            )?
            .ok_or_else(|| Error::not_found(ObjectKind::Group, format!("{collection}/{group}")))?;
        Ok((cid, gid))
    }

    fn template_id(&self, c: &Conn<'_>, name: &str) -> Result<Option<i64>> {
        c.query_opt(
            &self.q.template_id,
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
            c.query_opt(&self.q.tag_find, args![name], "looking up a tag", |r| {
                r.get(0)
            })
        };
        let id = match find()? {
            Some(id) => id,
            None => match c.insert_id(&self.q.tag_insert, args![name], "creating a tag")? {
                Some(id) => id,
                // A concurrent writer created it since the lookup.
                None => find()?.ok_or_else(|| Error::not_found(ObjectKind::Tag, name))?,
            },
        };
        known.insert(name.to_owned(), id);
        Ok(id)
    }

    // ----------------------------------------------------------- artifacts

    /// Creates or updates an artifact with its files and tags.
    ///
    /// A new version row is recorded whenever the files change (their
    /// digest), and `updated_ms` moves only when something changed.
    pub fn put_artifact(&self, artifact: &NewArtifact) -> Result<PutOutcome> {
        let prepared = prepare(artifact)?;
        self.write(|c| self.put_in(c, artifact, &prepared, now_ms(), &mut HashMap::new()))
    }

    /// Creates or updates many artifacts in one transaction: all or nothing.
    ///
    /// Validation errors name the offending artifact; nothing is stored then.
    pub fn import<I>(&self, artifacts: I) -> Result<ImportReport>
    where
        I: IntoIterator<Item = NewArtifact>,
    {
        let now = now_ms();
        self.write(|c| {
            let mut report = ImportReport::default();
            let mut tags = HashMap::new();
            for a in artifacts {
                let prepared = prepare(&a)?;
                let list = match self.put_in(c, &a, &prepared, now, &mut tags)? {
                    PutOutcome::Created => &mut report.created,
                    PutOutcome::Updated => &mut report.updated,
                    PutOutcome::Unchanged => &mut report.unchanged,
                };
                list.push(a.key);
            }
            Ok(report)
        })
    }

    fn put_in(
        &self,
        c: &Conn<'_>,
        a: &NewArtifact,
        p: &Prepared<'_>,
        now: i64,
        tag_ids: &mut HashMap<String, i64>,
    ) -> Result<PutOutcome> {
        let q = &self.q;
        let digest = &p.digest.as_bytes()[..];
        let tag_names = join_tags(p.tags.iter().copied());
        // Nothing inserted means the key exists (ON CONFLICT DO NOTHING).
        let inserted = c.insert_id(
            &q.artifact_insert,
            args![
                a.key.kind(),
                a.key.name(),
                &a.description,
                &a.source,
                digest,
                &tag_names,
                now,
                now
            ],
            "inserting an artifact",
        )?;

        let (id, outcome, files_changed, tags_changed) = match inserted {
            Some(id) => (id, PutOutcome::Created, true, !p.tags.is_empty()),
            None => {
                let ctx = "reading the stored artifact";
                let (id, old_digest, old_description, old_source): (
                    i64,
                    Vec<u8>,
                    String,
                    Option<String>,
                ) = c
                    .query_opt(
                        &q.artifact_head,
                        args![a.key.kind(), a.key.name()],
                        ctx,
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )?
                    .ok_or_else(|| Error::not_found(ObjectKind::Artifact, a.key.to_string()))?;
                let old_tags: BTreeSet<String> = c
                    .query_vec(&q.tags_of, args![id], "reading an artifact's tags", |r| {
                        r.get(0)
                    })?
                    .into_iter()
                    .collect();
                let files_changed = old_digest != digest;
                let tags_changed = !old_tags
                    .iter()
                    .map(String::as_str)
                    .eq(p.tags.iter().copied());
                if !files_changed
                    && !tags_changed
                    && old_description == a.description
                    && old_source == a.source
                {
                    return Ok(PutOutcome::Unchanged);
                }
                c.execute(
                    &q.artifact_update,
                    args![&a.description, &a.source, digest, &tag_names, now, id],
                    "updating an artifact",
                )?;
                (id, PutOutcome::Updated, files_changed, tags_changed)
            }
        };

        if files_changed {
            if outcome == PutOutcome::Updated {
                c.execute(&q.files_delete, args![id], "replacing an artifact's files")?;
            }
            for (f, hash) in &p.files {
                let hash = &hash.as_bytes()[..];
                c.execute(
                    &q.blob_insert,
                    args![hash, f.content.len() as i64, &f.content],
                    "storing a blob",
                )?;
                c.execute(
                    &q.file_insert,
                    args![id, &f.path, hash, f.executable, f.verbatim],
                    "storing an artifact file",
                )?;
            }
            self.record_version(c, id, digest, now, outcome == PutOutcome::Created)?;
        }

        if tags_changed {
            if outcome == PutOutcome::Updated {
                c.execute(
                    &q.artifact_tags_delete,
                    args![id],
                    "replacing an artifact's tags",
                )?;
            }
            for t in &p.tags {
                let tag = self.tag_id(c, t, tag_ids)?;
                c.execute(
                    &q.artifact_tag_insert,
                    args![id, tag],
                    "tagging an artifact",
                )?;
            }
        }
        Ok(outcome)
    }

    fn record_version(
        &self,
        c: &Conn<'_>,
        id: i64,
        digest: &[u8],
        now: i64,
        new: bool,
    ) -> Result<()> {
        let q = &self.q;
        let version = if new {
            1
        } else {
            // Content seen before (a revert) keeps its version row: versions
            // are unique per artifact and digest.
            let seen: Option<i64> = c.query_opt(
                &q.version_find,
                args![id, digest],
                "looking up an artifact version",
                |r| r.get(0),
            )?;
            if seen.is_some() {
                return Ok(());
            }
            c.query_opt(
                &q.version_max,
                args![id],
                "numbering an artifact version",
                |r| r.get::<i64>(0),
            )?
            .unwrap_or(0)
                + 1
        };
        c.execute(
            &q.version_insert,
            args![id, version, digest, now],
            "recording an artifact version",
        )?;
        Ok(())
    }

    /// Deletes an artifact with its files, tags and memberships (collection
    /// and group counts follow through the triggers).
    ///
    /// Refused with [`Error::InUse`] while a template lists it.
    pub fn delete_artifact(&self, key: &ArtifactKey) -> Result<()> {
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            let templates: Vec<String> = c.query_vec(
                &self.q.templates_using,
                args![id],
                "checking templates that use an artifact",
                |r| r.get(0),
            )?;
            if !templates.is_empty() {
                return Err(Error::InUse {
                    artifact: key.to_string(),
                    templates,
                });
            }
            c.execute(&self.q.artifact_delete, args![id], "deleting an artifact")?;
            Ok(())
        })
    }

    /// An artifact with its files (contents verified against their hashes)
    /// and tags. Two statements.
    pub fn artifact(&self, key: &ArtifactKey) -> Result<Artifact> {
        self.read(|c| {
            let mut out: Option<(i64, Artifact)> = None;
            let mut failure: Option<Error> = None;
            c.query(
                &self.q.artifact_full,
                args![key.kind(), key.name()],
                "reading an artifact",
                |r| {
                    if out.is_none() {
                        let digest: Vec<u8> = r.get(5)?;
                        let version: Option<i64> = r.get(6)?;
                        let a = Artifact {
                            key: key.clone(),
                            description: r.get(1)?,
                            source: r.get(2)?,
                            created_ms: r.get(3)?,
                            updated_ms: r.get(4)?,
                            digest: hex32(&digest),
                            version: version.and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
                            files: Vec::new(),
                            tags: Vec::new(),
                        };
                        out = Some((r.get(0)?, a));
                    }
                    let path: Option<String> = r.get(7)?;
                    if let (Some(path), Some((_, artifact))) = (path, out.as_mut()) {
                        match verified(
                            || key.to_string(),
                            &path,
                            r.get(10)?,
                            r.get(11)?,
                            r.get(8)?,
                            r.get(9)?,
                        ) {
                            Ok(file) => artifact.files.push(file),
                            Err(e) => {
                                failure = Some(e);
                                return Ok(false);
                            }
                        }
                    }
                    Ok(true)
                },
            )?;
            if let Some(e) = failure {
                return Err(e);
            }
            let Some((id, mut artifact)) = out else {
                return Err(Error::not_found(ObjectKind::Artifact, key.to_string()));
            };
            artifact.tags = c.query_vec(
                &self.q.tags_of,
                args![id],
                "reading an artifact's tags",
                |r| r.get(0),
            )?;
            Ok(artifact)
        })
    }

    /// The content versions of an artifact, oldest first. One statement.
    pub fn versions(&self, key: &ArtifactKey) -> Result<Vec<ArtifactVersion>> {
        let versions: Vec<ArtifactVersion> = self.with_conn(|c| {
            c.query_vec(
                &self.q.artifact_versions,
                args![key.kind(), key.name()],
                "reading artifact versions",
                |r| {
                    let digest: Vec<u8> = r.get(1)?;
                    Ok(ArtifactVersion {
                        version: u32::try_from(r.get::<i64>(0)?).unwrap_or(0),
                        digest: hex32(&digest),
                        created_ms: r.get(2)?,
                    })
                },
            )
        })?;
        if versions.is_empty() {
            return Err(Error::not_found(ObjectKind::Artifact, key.to_string()));
        }
        Ok(versions)
    }

    /// Adds tags to an artifact (existing ones are kept).
    pub fn add_tags(&self, key: &ArtifactKey, tags: &[&str]) -> Result<()> {
        for t in tags {
            validate_name("tag", t)?;
        }
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            let mut known = HashMap::new();
            for t in tags {
                let tag = self.tag_id(c, t, &mut known)?;
                c.execute(
                    &self.q.artifact_tag_insert,
                    args![id, tag],
                    "tagging an artifact",
                )?;
            }
            self.refresh_tag_names(c, id)
        })
    }

    /// Removes tags from an artifact; tags it does not carry are ignored.
    pub fn remove_tags(&self, key: &ArtifactKey, tags: &[&str]) -> Result<()> {
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            for t in tags {
                let tag: Option<i64> =
                    c.query_opt(&self.q.tag_find, args![*t], "looking up a tag", |r| {
                        r.get(0)
                    })?;
                if let Some(tag) = tag {
                    c.execute(
                        &self.q.artifact_tag_delete,
                        args![id, tag],
                        "untagging an artifact",
                    )?;
                }
            }
            self.refresh_tag_names(c, id)
        })
    }

    /// Rewrites an artifact's `tag_names` copy from its tag links.
    fn refresh_tag_names(&self, c: &Conn<'_>, id: i64) -> Result<()> {
        let names: Vec<String> = c.query_vec(
            &self.q.tags_of,
            args![id],
            "reading an artifact's tags",
            |r| r.get(0),
        )?;
        let joined = join_tags(names.iter().map(String::as_str));
        c.execute(
            &self.q.artifact_tag_names,
            args![&joined, id],
            "recording an artifact's tags",
        )?;
        Ok(())
    }

    // ------------------------------------------------------------ listings

    fn filter(query: &ArtifactQuery) -> Result<Filter> {
        let mut types: Vec<String> = query.types.clone();
        for t in &types {
            validate_type(t)?;
        }
        types.sort();
        types.dedup();
        let mut tags: Vec<String> = query.tags.clone();
        for t in &tags {
            validate_name("tag", t)?;
        }
        tags.sort();
        tags.dedup();
        Ok(Filter {
            types,
            tags,
            collection: query.collection.clone(),
            search: query.search.clone().filter(|s| !s.is_empty()),
        })
    }

    /// One page of artifacts, each with its tags and its collections (with
    /// their artifact counts). **2 statements** (budget 3), whatever the page
    /// size or position: the page (tags come with each row), then the
    /// collections of the page's rows, bound as one ID-list parameter.
    /// PostgreSQL: **1 statement**, the page joined to its collections (a
    /// round trip costs more than the repeated row data). In
    /// [`CountMode::Query`] one more statement counts the members of the
    /// page's collections that the count cache does not hold (one `GROUP
    /// BY`, none when all are cached).
    pub fn list_artifacts(&self, query: &ArtifactQuery) -> Result<ArtifactPage> {
        if !(1..=MAX_PAGE_LIMIT).contains(&query.limit) {
            return Err(Error::invalid(
                "limit",
                &query.limit.to_string(),
                "a page holds 1 to 500 artifacts",
            ));
        }
        let filter = Self::filter(query)?;
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode_artifact(c, query.sort))
            .transpose()?;
        let limit = query.limit as usize;
        let values = queries::page_params(
            self.backend,
            &filter,
            after.as_ref(),
            i64::from(query.limit) + 1,
        );
        let params: Vec<Param<'_>> = values.iter().map(Param::from).collect();
        let shape = filter.shape(query.sort, after.is_some());

        if self.backend.joins_page_collections() {
            // The LIMIT goes into the text (see `queries::inline_limit`; a
            // unit test checks it does for every shape), so it is not bound
            // and the text is kept per page size.
            let fetch = i64::from(query.limit) + 1;
            let bound = params.len();
            let sql = self.shape_text(ShapeKind::PageWithCollections(query.limit), shape, || {
                let built = queries::page_with_collections_statement(
                    self.backend,
                    self.count_mode,
                    &filter,
                    query.sort,
                    after.as_ref(),
                )
                .build_for(self.backend)
                .0;
                queries::inline_limit(&built, bound, fetch).unwrap_or(built)
            });
            let params = &params[..bound.saturating_sub(1)];
            // One statement is one snapshot: no transaction round trips.
            return self.with_conn(|c| {
                let mut page = PageRows::new(limit);
                c.query(&sql, params, "listing artifacts", |r| {
                    let id: i64 = r.get(0)?;
                    if page.ids.last() != Some(&id) {
                        if page.ids.len() == limit {
                            page.more = true;
                            return Ok(false);
                        }
                        let (_, item) = summary_row(r)?;
                        page.ids.push(id);
                        page.items.push(item);
                    }
                    if let Some(name) = r.get::<Option<String>>(8)? {
                        let n: i64 = r.get(9)?;
                        page.links.push((page.items.len() - 1, name, n));
                    }
                    Ok(true)
                })?;
                if self.count_mode == CountMode::Query {
                    self.page_counts(c, &mut page.links)?;
                }
                Ok(page.finish(query.sort))
            });
        }

        let sql = self.shape_sql(ShapeKind::Page, shape, || {
            queries::page_statement(self.backend, &filter, query.sort, after.as_ref())
        });
        self.read(|c| {
            let mut page = PageRows::new(limit);
            c.query(&sql, &params, "listing artifacts", |r| {
                let (id, item) = summary_row(r)?;
                page.ids.push(id);
                page.items.push(item);
                Ok(page.ids.len() <= limit)
            })?;
            page.more = page.items.len() > limit;
            page.ids.truncate(limit);
            page.items.truncate(limit);
            if page.items.is_empty() {
                return Ok(page.finish(query.sort));
            }
            // Row ids to page positions, for attaching collections: a sorted
            // vector beats a hash map at these sizes (≤ 500).
            let mut index: Vec<(i64, usize)> = page.ids.iter().copied().zip(0..).collect();
            index.sort_unstable();
            c.query(
                &self.q.page_collections,
                args![Param::Ids(&page.ids)],
                "reading collections of a page",
                |r| {
                    let id: i64 = r.get(0)?;
                    if let Ok(at) = index.binary_search_by_key(&id, |&(id, _)| id) {
                        page.links.push((index[at].1, r.get(1)?, r.get(2)?));
                    }
                    Ok(true)
                },
            )?;
            if self.count_mode == CountMode::Query {
                self.page_counts(c, &mut page.links)?;
            }
            Ok(page.finish(query.sort))
        })
    }

    /// [`CountMode::Query`]: replaces each link's collection id by the
    /// collection's member count, from the count cache or one `GROUP BY`
    /// over the collections it misses.
    fn page_counts(&self, c: &Conn<'_>, links: &mut [(usize, String, i64)]) -> Result<()> {
        let mut known: HashMap<i64, i64> = HashMap::new();
        let mut missing: Vec<(i64, &str)> = Vec::new();
        let mut epoch = None;
        for (_, name, cid) in links.iter() {
            if known.contains_key(cid) || missing.iter().any(|(m, _)| m == cid) {
                continue;
            }
            match self.cache.collection(name) {
                Ok(n) => {
                    known.insert(*cid, i64::try_from(n).unwrap_or(i64::MAX));
                }
                Err(e) => {
                    epoch.get_or_insert(e);
                    missing.push((*cid, name));
                }
            }
        }
        if let Some(epoch) = epoch {
            let ids: Vec<i64> = missing.iter().map(|(cid, _)| *cid).collect();
            let counted: HashMap<i64, i64> = c
                .query_vec(
                    &self.q.page_counts,
                    args![Param::Ids(&ids)],
                    "counting the collections of a page",
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .into_iter()
                .collect();
            for (cid, name) in missing {
                let n = counted.get(&cid).copied().unwrap_or(0);
                self.cache.fill_collection(epoch, name, count(n));
                known.insert(cid, n);
            }
        }
        for link in links.iter_mut() {
            link.2 = known.get(&link.2).copied().unwrap_or(0);
        }
        Ok(())
    }

    /// Counts of the artifacts matching a query's filters (its sort, limit
    /// and cursor are ignored): total, by type and by tag. **At most 2
    /// statements**, none on a cache hit.
    pub fn facets(&self, query: &ArtifactQuery) -> Result<Facets> {
        self.sync_external_writes()?;
        let filter = Self::filter(query)?;
        let epoch = match self.cache.facets(&filter) {
            Ok(hit) => return Ok((*hit).clone()),
            Err(epoch) => epoch,
        };
        let shape = filter.shape(ArtifactSort::Name, false);
        let types_sql = self.shape_sql(ShapeKind::FacetTypes, shape.clone(), || {
            queries::facet_types_statement(self.backend, &filter)
        });
        let tags_sql = self.shape_sql(ShapeKind::FacetTags, shape, || {
            queries::facet_tags_statement(self.backend, &filter)
        });
        let values = queries::facet_params(&filter);
        let params: Vec<Param<'_>> = values.iter().map(Param::from).collect();
        let facets = self.read(|c| {
            let pairs = |sql: &str| -> Result<Vec<(String, u64)>> {
                c.query_vec(sql, &params, "counting facets", |r| {
                    Ok((r.get(0)?, count(r.get(1)?)))
                })
            };
            let by_type = pairs(&types_sql)?;
            let by_tag = pairs(&tags_sql)?;
            Ok(Facets {
                total: by_type.iter().map(|(_, n)| n).sum(),
                by_type,
                by_tag,
            })
        })?;
        self.cache
            .fill_facets(epoch, filter, Arc::new(facets.clone()));
        Ok(facets)
    }

    /// Every tag with the number of artifacts carrying it, by name; tags on
    /// no artifact are left out. One statement, none on a cache hit.
    pub fn tag_counts(&self) -> Result<Vec<TagCount>> {
        self.sync_external_writes()?;
        let epoch = match self.cache.tags() {
            Ok(hit) => return Ok((*hit).clone()),
            Err(epoch) => epoch,
        };
        let tags: Vec<TagCount> = self.with_conn(|c| {
            c.query_vec(&self.q.tag_counts, &[], "counting tags", |r| {
                Ok(TagCount {
                    name: r.get(0)?,
                    count: count(r.get(1)?),
                })
            })
        })?;
        self.cache.fill_tags(epoch, Arc::new(tags.clone()));
        Ok(tags)
    }

    // --------------------------------------------------------- collections

    /// Creates an empty collection.
    pub fn create_collection(&self, name: &str, description: &str) -> Result<()> {
        validate_name("collection name", name)?;
        self.write(|c| {
            let inserted = c.execute(
                &self.q.collection_insert,
                args![name, description, now_ms()],
                "creating a collection",
            )?;
            if inserted == 0 {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Collection,
                    key: name.to_owned(),
                });
            }
            Ok(())
        })
    }

    /// Renames a collection; its members, groups and templates follow.
    pub fn rename_collection(&self, from: &str, to: &str) -> Result<()> {
        validate_name("collection name", to)?;
        self.write(|c| {
            let id = self.collection_id(c, from)?;
            if from != to && self.collection_id(c, to).is_ok() {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Collection,
                    key: to.to_owned(),
                });
            }
            c.execute(
                &self.q.collection_rename,
                args![to, id],
                "renaming a collection",
            )?;
            Ok(())
        })
    }

    /// Deletes a collection with its memberships and groups (the artifacts
    /// stay; templates built from it keep their entities).
    pub fn delete_collection(&self, name: &str) -> Result<()> {
        self.write(|c| {
            let id = self.collection_id(c, name)?;
            c.execute(
                &self.q.collection_delete,
                args![id],
                "deleting a collection",
            )?;
            Ok(())
        })
    }

    /// Adds artifacts to a collection, reporting which were added, already
    /// present, or unknown (unknown keys are reported, not an error).
    pub fn add_to_collection(&self, name: &str, keys: &[ArtifactKey]) -> Result<MembershipReport> {
        self.write(|c| {
            let cid = self.collection_id(c, name)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.member_insert,
                    args![cid, aid],
                    "adding to a collection",
                )
            })
        })
    }

    /// Removes artifacts from a collection (and from its groups), reporting
    /// which were removed, not members, or unknown.
    pub fn remove_from_collection(
        &self,
        name: &str,
        keys: &[ArtifactKey],
    ) -> Result<MembershipReport> {
        self.write(|c| {
            let cid = self.collection_id(c, name)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.member_delete,
                    args![cid, aid],
                    "removing from a collection",
                )
            })
        })
    }

    fn each_member(
        &self,
        c: &Conn<'_>,
        keys: &[ArtifactKey],
        mut change: impl FnMut(&Conn<'_>, i64) -> Result<u64>,
    ) -> Result<MembershipReport> {
        let mut report = MembershipReport::default();
        for key in keys {
            let list = match self.artifact_id(c, key)? {
                None => &mut report.unknown,
                Some(aid) if change(c, aid)? > 0 => &mut report.changed,
                Some(_) => &mut report.unchanged,
            };
            list.push(key.clone());
        }
        Ok(report)
    }

    /// One page of collections by name, with artifact and group counts.
    /// One statement (budget 2).
    pub fn list_collections(&self, limit: u32, cursor: Option<&str>) -> Result<CollectionPage> {
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                &limit.to_string(),
                "a page holds 1 to 500 collections",
            ));
        }
        let after = cursor.map(cursor::decode_collection).transpose()?;
        let fetch = limit as usize + 1;
        let fetch_param = Param::Int(i64::from(limit) + 1);
        let mut params: Vec<Param<'_>> = Vec::with_capacity(2);
        let sql = match &after {
            None => &self.q.collections_first,
            Some(name) => {
                params.push(Param::Text(name));
                &self.q.collections_after
            }
        };
        if self.backend.binds_limit() {
            params.push(fetch_param);
        }
        let mut items: Vec<CollectionSummary> = Vec::with_capacity(fetch);
        self.with_conn(|c| {
            c.query(sql, &params, "listing collections", |r| {
                items.push(CollectionSummary {
                    name: r.get(0)?,
                    description: r.get(1)?,
                    artifact_count: count(r.get(2)?),
                    group_count: count(r.get(3)?),
                });
                Ok(items.len() < fetch)
            })
        })?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match items.last() {
            Some(last) if more => Some(cursor::encode_collection(&last.name)),
            _ => None,
        };
        Ok(CollectionPage { items, next_cursor })
    }

    /// A collection with its counts and its groups. Two statements.
    pub fn collection(&self, name: &str) -> Result<CollectionDetail> {
        self.read(|c| {
            let row = c.query_opt(
                &self.q.collection_row,
                args![name],
                "reading a collection",
                |r| {
                    Ok((
                        r.get::<i64>(0)?,
                        CollectionSummary {
                            name: r.get(1)?,
                            description: r.get(2)?,
                            artifact_count: count(r.get(3)?),
                            group_count: count(r.get(4)?),
                        },
                    ))
                },
            )?;
            let Some((id, collection)) = row else {
                return Err(Error::not_found(ObjectKind::Collection, name));
            };
            let groups = c.query_vec(
                &self.q.groups_of,
                args![id],
                "reading a collection's groups",
                |r| {
                    Ok(GroupSummary {
                        name: r.get(0)?,
                        position: r.get(1)?,
                        artifact_count: count(r.get(2)?),
                    })
                },
            )?;
            Ok(CollectionDetail { collection, groups })
        })
    }

    /// The number of artifacts in a collection, through the count cache: one
    /// statement on a miss, none on a hit.
    pub fn collection_artifact_count(&self, name: &str) -> Result<u64> {
        self.sync_external_writes()?;
        let epoch = match self.cache.collection(name) {
            Ok(n) => return Ok(n),
            Err(epoch) => epoch,
        };
        let n: i64 = self
            .with_conn(|c| {
                c.query_opt(
                    &self.q.collection_count,
                    args![name],
                    "counting a collection",
                    |r| r.get(0),
                )
            })?
            .ok_or_else(|| Error::not_found(ObjectKind::Collection, name))?;
        let n = count(n);
        self.cache.fill_collection(epoch, name, n);
        Ok(n)
    }

    // -------------------------------------------------------------- groups

    /// Creates a group inside a collection.
    pub fn create_group(&self, collection: &str, group: &str, position: i64) -> Result<()> {
        validate_name("group name", group)?;
        self.write(|c| {
            let cid = self.collection_id(c, collection)?;
            let inserted = c.execute(
                &self.q.group_insert,
                args![cid, group, position],
                "creating a group",
            )?;
            if inserted == 0 {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Group,
                    key: format!("{collection}/{group}"),
                });
            }
            Ok(())
        })
    }

    /// Deletes a group; its artifacts stay in the collection.
    pub fn delete_group(&self, collection: &str, group: &str) -> Result<()> {
        self.write(|c| {
            let (_, gid) = self.group_id(c, collection, group)?;
            c.execute(&self.q.group_delete, args![gid], "deleting a group")?;
            Ok(())
        })
    }

    /// Adds artifacts to a group, adding them to its collection as well
    /// (group membership implies collection membership).
    pub fn add_to_group(
        &self,
        collection: &str,
        group: &str,
        keys: &[ArtifactKey],
    ) -> Result<MembershipReport> {
        self.write(|c| {
            let (cid, gid) = self.group_id(c, collection, group)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.member_insert,
                    args![cid, aid],
                    "adding to a collection",
                )?;
                c.execute(
                    &self.q.group_member_insert,
                    args![gid, aid],
                    "adding to a group",
                )
            })
        })
    }

    /// Removes artifacts from a group (they stay in the collection).
    pub fn remove_from_group(
        &self,
        collection: &str,
        group: &str,
        keys: &[ArtifactKey],
    ) -> Result<MembershipReport> {
        self.write(|c| {
            let (_, gid) = self.group_id(c, collection, group)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.group_member_delete,
                    args![gid, aid],
                    "removing from a group",
                )
            })
        })
    }

    // ----------------------------------------------------------- templates

    /// Creates a template with its entities (in deploy order) and declared
    /// variables.
    pub fn create_template(&self, spec: &TemplateSpec) -> Result<()> {
        self.save_template(spec, false)
    }

    /// Replaces an existing template's description, collection, entities
    /// and variables.
    pub fn update_template(&self, spec: &TemplateSpec) -> Result<()> {
        self.save_template(spec, true)
    }

    fn save_template(&self, spec: &TemplateSpec, update: bool) -> Result<()> {
        validate_name("template name", &spec.name)?;
        let mut seen = BTreeSet::new();
        for e in &spec.entities {
            if !seen.insert(&e.artifact) {
                return Err(Error::invalid(
                    "template entity",
                    &e.artifact.to_string(),
                    format!("template `{}` lists it twice", spec.name),
                ));
            }
        }
        let mut seen = BTreeSet::new();
        for v in &spec.variables {
            validate_variable(&v.name)?;
            if !seen.insert(&v.name) {
                return Err(Error::invalid(
                    "template variable",
                    &v.name,
                    format!("template `{}` declares it twice", spec.name),
                ));
            }
        }
        let now = now_ms();
        self.write(|c| {
            let q = &self.q;
            let collection = spec
                .collection
                .as_deref()
                .map(|name| self.collection_id(c, name))
                .transpose()?;
            let existing = self.template_id(c, &spec.name)?;
            let id = match (existing, update) {
                (Some(_), false) => {
                    return Err(Error::AlreadyExists {
                        kind: ObjectKind::Template,
                        key: spec.name.clone(),
                    });
                }
                (None, true) => return Err(Error::not_found(ObjectKind::Template, &spec.name)),
                (None, false) => c
                    .insert_id(
                        &q.template_insert,
                        args![&spec.name, &spec.description, collection, now, now],
                        "creating a template",
                    )?
                    .ok_or_else(|| Error::AlreadyExists {
                        kind: ObjectKind::Template,
                        key: spec.name.clone(),
                    })?,
                (Some(id), true) => {
                    c.execute(
                        &q.template_update,
                        args![&spec.description, collection, now, id],
                        "updating a template",
                    )?;
                    for sql in [&q.entities_delete, &q.variables_delete] {
                        c.execute(sql, args![id], "replacing a template's entities")?;
                    }
                    id
                }
            };
            for (order, e) in spec.entities.iter().enumerate() {
                let aid = self.require_artifact(c, &e.artifact)?;
                c.execute(
                    &q.entity_insert,
                    args![id, aid, order as i64, e.required],
                    "adding a template entity",
                )?;
            }
            for (pos, v) in spec.variables.iter().enumerate() {
                c.execute(
                    &q.variable_insert,
                    args![
                        id,
                        pos as i64,
                        &v.name,
                        v.required,
                        &v.default,
                        &v.description
                    ],
                    "declaring a template variable",
                )?;
            }
            Ok(())
        })
    }

    /// Deletes a template (its artifacts stay).
    pub fn delete_template(&self, name: &str) -> Result<()> {
        self.write(|c| {
            let id = self
                .template_id(c, name)?
                .ok_or_else(|| Error::not_found(ObjectKind::Template, name))?;
            c.execute(&self.q.template_delete, args![id], "deleting a template")?;
            Ok(())
        })
    }

    /// All templates by name, with their entity counts. One statement.
    pub fn list_templates(&self) -> Result<Vec<TemplateSummary>> {
        self.with_conn(|c| {
            c.query_vec(&self.q.templates_list, &[], "listing templates", |r| {
                Ok(TemplateSummary {
                    name: r.get(0)?,
                    description: r.get(1)?,
                    collection: r.get(2)?,
                    entity_count: count(r.get(3)?),
                })
            })
        })
    }

    /// A template with its declared variables and its entities in deploy
    /// order, each with its artifact's files and verified contents: everything
    /// a deploy needs. **2 statements** (budget 3): the template with its
    /// variables, then entities with files and blobs.
    pub fn load_template(&self, name: &str) -> Result<Template> {
        self.read(|c| {
            let ctx = "loading a template";
            let mut head: Option<(i64, Template)> = None;
            c.query(&self.q.template_head, args![name], ctx, |r| {
                if head.is_none() {
                    head = Some((
                        r.get(0)?,
                        Template {
                            name: r.get(1)?,
                            description: r.get(2)?,
                            collection: r.get(3)?,
                            variables: Vec::new(),
                            entities: Vec::new(),
                        },
                    ));
                }
                let var: Option<String> = r.get(4)?;
                if let (Some(var), Some((_, t))) = (var, head.as_mut()) {
                    t.variables.push(VariableDecl {
                        name: var,
                        required: r.get(5)?,
                        default: r.get(6)?,
                        description: r.get(7)?,
                    });
                }
                Ok(true)
            })?;
            let Some((id, mut template)) = head else {
                return Err(Error::not_found(ObjectKind::Template, name));
            };

            let mut failure: Option<Error> = None;
            c.query(&self.q.template_entities, args![id], ctx, |r| {
                let order: i64 = r.get(0)?;
                let order = u32::try_from(order).unwrap_or(u32::MAX);
                let same = template
                    .entities
                    .last()
                    .is_some_and(|e| e.deploy_order == order);
                if !same {
                    let kind: String = r.get(2)?;
                    let aname: String = r.get(3)?;
                    template.entities.push(TemplateEntity {
                        deploy_order: order,
                        required: r.get(1)?,
                        artifact: ArtifactKey::new(kind, aname)?,
                        description: r.get(4)?,
                        files: Vec::new(),
                    });
                }
                let path: Option<String> = r.get(5)?;
                if let (Some(path), Some(entity)) = (path, template.entities.last_mut()) {
                    match verified(
                        || entity.artifact.to_string(),
                        &path,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(6)?,
                        r.get(7)?,
                    ) {
                        Ok(file) => entity.files.push(file),
                        Err(e) => {
                            failure = Some(e);
                            return Ok(false);
                        }
                    }
                }
                Ok(true)
            })?;
            match failure {
                Some(e) => Err(e),
                None => Ok(template),
            }
        })
    }

    // -------------------------------------------------------------- counts

    /// Every stored counter or copy that disagrees with the rows it
    /// summarises: collection artifact and group counts, group artifact
    /// counts (each against a `GROUP BY`), and each artifact's `tag_names`
    /// copy. Empty when everything is consistent. Three statements; reads
    /// every tag link, so it is a maintenance operation, not a hot path. In
    /// [`CountMode::Query`] no counter is stored (reads count), so only the
    /// `tag_names` copies are checked: one statement.
    pub fn verify_counts(&self) -> Result<Vec<Drift>> {
        self.read(|c| {
            let mut drift = match self.count_mode {
                CountMode::Triggers => self.count_drift(c)?,
                CountMode::Query => Vec::new(),
            };
            drift.extend(self.tag_name_drift(c)?.into_iter().map(|(_, d, _)| d));
            Ok(drift)
        })
    }

    fn count_drift(&self, c: &Conn<'_>) -> Result<Vec<Drift>> {
        let ctx = "verifying counts";
        let mut drift = Vec::new();
        let mut push = |what: String, stored: i64, actual: i64| {
            if stored != actual {
                drift.push(Drift {
                    what,
                    stored: stored.to_string(),
                    actual: actual.to_string(),
                });
            }
        };
        c.query(&self.q.verify_collections, &[], ctx, |r| {
            let name: String = r.get(0)?;
            push(
                format!("collection {name} artifact_count"),
                r.get(1)?,
                r.get(2)?,
            );
            push(
                format!("collection {name} group_count"),
                r.get(3)?,
                r.get(4)?,
            );
            Ok(true)
        })?;
        c.query(&self.q.verify_groups, &[], ctx, |r| {
            let coll: String = r.get(0)?;
            let group: String = r.get(1)?;
            push(
                format!("group {coll}/{group} artifact_count"),
                r.get(2)?,
                r.get(3)?,
            );
            Ok(true)
        })?;
        Ok(drift)
    }

    /// Artifacts whose `tag_names` copy disagrees with their tag links:
    /// (artifact id, the drift, the correct copy).
    fn tag_name_drift(&self, c: &Conn<'_>) -> Result<Vec<(i64, Drift, String)>> {
        let ctx = "verifying tag names";
        let mut out = Vec::new();
        // Rows come grouped by artifact id: one row per tag link (or one
        // with a NULL tag for an untagged artifact).
        let mut current: Option<(i64, String, String, Vec<String>)> = None;
        let mut finish = |cur: Option<(i64, String, String, Vec<String>)>| {
            if let Some((id, key, stored, mut actual)) = cur {
                actual.sort_unstable();
                let actual = join_tags(actual.iter().map(String::as_str));
                if actual != stored {
                    let show = |s: &str| split_tags(s).join(", ");
                    let drift = Drift {
                        what: format!("artifact {key} tag_names"),
                        stored: show(&stored),
                        actual: show(&actual),
                    };
                    out.push((id, drift, actual));
                }
            }
        };
        c.query(&self.q.verify_tag_names, &[], ctx, |r| {
            let id: i64 = r.get(0)?;
            if current.as_ref().is_none_or(|cur| cur.0 != id) {
                let kind: String = r.get(1)?;
                let name: String = r.get(2)?;
                let next = (id, format!("{kind}:{name}"), r.get(3)?, Vec::new());
                finish(current.replace(next));
            }
            let tag: Option<String> = r.get(4)?;
            if let (Some(tag), Some(cur)) = (tag, current.as_mut()) {
                cur.3.push(tag);
            }
            Ok(true)
        })?;
        finish(current);
        Ok(out)
    }

    /// Recomputes every stored counter from the rows it counts and every
    /// artifact's `tag_names` copy from its tag links, repairing drift (from
    /// edits made outside the catalogue, for instance).
    pub fn recount(&self) -> Result<()> {
        self.write(|c| {
            for sql in [&self.q.recount_collections, &self.q.recount_groups] {
                c.execute(sql, &[], "recounting")?;
            }
            for (id, _, names) in self.tag_name_drift(c)? {
                c.execute(
                    &self.q.artifact_tag_names,
                    args![&names, id],
                    "repairing tag names",
                )?;
            }
            Ok(())
        })
    }
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
    fn a_catalog_can_move_to_another_thread() {
        fn assert_send<T: Send>(_: &T) {}
        let catalog = Catalog::open_in_memory().unwrap();
        assert_send(&catalog);
        let moved = std::thread::spawn(move || catalog.list_templates().map(|t| t.len()))
            .join()
            .unwrap();
        assert_eq!(moved.unwrap(), 0);
    }

    #[test]
    fn listing_statements_are_not_re_prepared_between_calls() {
        let c = Catalog::open_in_memory().unwrap();
        for name in ["alpha", "beta", "gamma"] {
            let key = ArtifactKey::new("skill", name).unwrap();
            c.put_artifact(&NewArtifact::new(key).file("a.md", name).tag("t"))
                .unwrap();
        }
        let q = ArtifactQuery::new()
            .kind("skill")
            .tag("t")
            .search("A")
            .limit(1);
        let mut cursor = None;
        for _ in 0..3 {
            let mut page_q = q.clone();
            page_q.cursor = cursor.take();
            cursor = c.list_artifacts(&page_q).unwrap().next_cursor;
        }
        let filter = Catalog::filter(&q).unwrap();
        let after = After::Name {
            name: String::new(),
            id: 0,
        };
        let sql = c.shape_sql(ShapeKind::Page, filter.shape(q.sort, true), || {
            queries::page_statement(c.backend, &filter, q.sort, Some(&after))
        });
        #[allow(irrefutable_let_patterns)] // without the `postgres` feature
        let Db::Sqlite(conn) = &c.db else {
            panic!("an in-memory catalogue is SQLite");
        };
        let stmt = conn.prepare_cached(&sql).unwrap();
        // A bound LIMIT or LIKE pattern would make SQLite re-prepare at each
        // execution; see `queries::page_statement`.
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
        assert!(stmt.get_status(rusqlite::StatementStatus::Run) >= 2);
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_password("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_password("host=h password=secret dbname=d"),
            "host=h password=*** dbname=d"
        );
        assert_eq!(redact_password("host=h dbname=d"), "host=h dbname=d");
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_password("dir/catalog.db"), "dir/catalog.db");
    }

    #[test]
    fn postgres_targets_are_told_apart_from_file_paths() {
        for t in [
            "postgres://u@h/db",
            "postgresql://h:5432/db?sslmode=disable",
            "host=127.0.0.1 dbname=test",
            "  dbname=stencil user=me",
        ] {
            assert!(is_postgres_target(t), "{t}");
        }
        for t in [
            "catalog.db",
            "./.stencil/catalog.db",
            "dir/host=x.db",
            "a=b c.db",
            "",
            "postgres.db",
        ] {
            assert!(!is_postgres_target(t), "{t}");
        }
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
