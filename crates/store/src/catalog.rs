//! [`Catalog`]: the connection, its migrations, and every operation.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::trace::{TraceEvent, TraceEventCodes};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, TransactionBehavior, params};

use crate::backend::{Backend, Buildable};
use crate::binder;
use crate::cache::CountCache;
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
}

impl Default for CatalogBuilder {
    fn default() -> Self {
        CatalogBuilder {
            cache_capacity: NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN),
            cache_ttl: Duration::from_secs(1),
            busy_timeout: Duration::from_secs(5),
            detect_external_writes: false,
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
    /// and the statement budgets are stated without it.
    pub fn detect_external_writes(mut self, on: bool) -> Self {
        self.detect_external_writes = on;
        self
    }

    /// How long a statement waits for another writer's lock before failing
    /// with a database error. Default five seconds.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
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
}

#[derive(Default)]
struct Counters {
    statements: AtomicU64,
    transactions: AtomicU64,
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
    FacetTypes,
    FacetTags,
}

/// The catalogue: artifacts, collections, groups, tags and templates in one
/// SQLite database.
///
/// Every read method loads exactly what its return type holds, in a stated
/// number of SQL statements that does not depend on page size or data
/// (see [`Catalog::stats`]). Multi-statement reads run in one read
/// transaction, so they see one snapshot. Every write runs in one
/// transaction and invalidates the count cache after its commit.
///
/// A `Catalog` owns one connection: it is `Send` but not `Sync`. Open one per
/// thread; SQLite (WAL mode) lets them read concurrently.
pub struct Catalog {
    conn: Connection,
    backend: Backend,
    q: Queries,
    shapes: RefCell<HashMap<(ShapeKind, Shape), Arc<str>>>,
    cache: CountCache,
    counters: Arc<Counters>,
    path: String,
    /// The last `PRAGMA data_version` seen, when external writes are detected.
    data_version: Option<std::cell::Cell<i64>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("path", &self.path)
            .field("backend", &self.backend)
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

fn summary_row(r: &Row<'_>) -> rusqlite::Result<(i64, ArtifactSummary)> {
    let kind: String = r.get(1)?;
    let name: String = r.get(2)?;
    let key = ArtifactKey::new(kind, name).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok((
        r.get(0)?,
        ArtifactSummary {
            key,
            description: r.get(3)?,
            source: r.get(4)?,
            created_ms: r.get(5)?,
            updated_ms: r.get(6)?,
            tags: split_tags(r.get_ref(7)?.as_str()?),
            collections: Vec::new(),
        },
    ))
}

impl Catalog {
    /// A builder to set cache size, TTL and busy timeout before opening.
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

    fn setup(mut conn: Connection, path: String, file: bool, b: CatalogBuilder) -> Result<Catalog> {
        let counters = Arc::new(Counters::default());
        let hook = Arc::clone(&counters);
        // The profile event fires once per finished statement (trigger
        // bodies are part of theirs), which is what budgets count.
        conn.trace_v2(
            TraceEventCodes::SQLITE_TRACE_PROFILE,
            Some(move |e: TraceEvent<'_>| {
                if let TraceEvent::Profile(stmt, _) = e {
                    let counter = if is_transaction_control(&stmt.sql()) {
                        &hook.transactions
                    } else {
                        &hook.statements
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
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
        Ok(Catalog {
            conn,
            backend,
            q: Queries::new(backend),
            shapes: RefCell::new(HashMap::new()),
            cache: CountCache::new(b.cache_capacity, b.cache_ttl),
            counters,
            path,
            data_version: b
                .detect_external_writes
                .then(|| std::cell::Cell::new(i64::MIN)),
        })
    }

    /// The SQL dialect of this catalogue.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database file (`:memory:` for an in-memory catalogue).
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

    /// Runs `f` in one read transaction so multi-statement reads see one
    /// snapshot.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .unchecked_transaction()
            .context("starting a read transaction")?;
        let out = f(&tx)?;
        tx.commit().context("ending a read transaction")?;
        Ok(out)
    }

    /// Runs `f` in one write transaction, then invalidates the count cache
    /// (after the commit, so no reader can refill it from the old state).
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        // IMMEDIATE takes the write lock up front: a deferred transaction
        // that upgrades later can fail with SQLITE_BUSY regardless of the
        // busy timeout.
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .context("starting a write transaction")?;
        let out = f(&tx)?;
        let committed = tx.commit().context("committing");
        self.cache.invalidate();
        committed.map(|()| out)
    }

    /// Drops the count cache if another connection committed since the last
    /// check (only with [`CatalogBuilder::detect_external_writes`]).
    fn sync_external_writes(&self) -> Result<()> {
        let (Some(seen), Some(probe)) = (&self.data_version, self.backend.external_change_probe())
        else {
            return Ok(());
        };
        let now: i64 = self
            .conn
            .prepare_cached(probe)
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .context("checking for writes by other connections")?;
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
        let mut shapes = self.shapes.borrow_mut();
        if let Some(sql) = shapes.get(&(kind, shape.clone())) {
            return Arc::clone(sql);
        }
        if shapes.len() >= MAX_SHAPES {
            shapes.clear();
        }
        let sql: Arc<str> = build().build_for(self.backend).0.into();
        shapes.insert((kind, shape), Arc::clone(&sql));
        sql
    }

    // ----------------------------------------------------------------- ids

    fn artifact_id(&self, c: &Connection, key: &ArtifactKey) -> Result<Option<i64>> {
        c.prepare_cached(&self.q.artifact_id)
            .and_then(|mut s| {
                s.query_row(params![key.kind(), key.name()], |r| r.get(0))
                    .optional()
            })
            .context("looking up an artifact")
    }

    fn require_artifact(&self, c: &Connection, key: &ArtifactKey) -> Result<i64> {
        self.artifact_id(c, key)?
            .ok_or_else(|| Error::not_found(ObjectKind::Artifact, key.to_string()))
    }

    fn collection_id(&self, c: &Connection, name: &str) -> Result<i64> {
        c.prepare_cached(&self.q.collection_id)
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .context("looking up a collection")?
            .ok_or_else(|| Error::not_found(ObjectKind::Collection, name))
    }

    fn group_id(&self, c: &Connection, collection: &str, group: &str) -> Result<(i64, i64)> {
        let cid = self.collection_id(c, collection)?;
        let gid = c
            .prepare_cached(&self.q.group_id)
            .and_then(|mut s| s.query_row(params![cid, group], |r| r.get(0)).optional())
            .context("looking up a group")?
            .ok_or_else(|| Error::not_found(ObjectKind::Group, format!("{collection}/{group}")))?;
        Ok((cid, gid))
    }

    fn template_id(&self, c: &Connection, name: &str) -> Result<Option<i64>> {
        c.prepare_cached(&self.q.template_id)
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .context("looking up a template")
    }

    fn tag_id(&self, c: &Connection, name: &str, known: &mut HashMap<String, i64>) -> Result<i64> {
        if let Some(id) = known.get(name) {
            return Ok(*id);
        }
        let found: Option<i64> = c
            .prepare_cached(&self.q.tag_find)
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .context("looking up a tag")?;
        let id = match found {
            Some(id) => id,
            None => {
                c.prepare_cached(&self.q.tag_insert)
                    .and_then(|mut s| s.execute([name]))
                    .context("creating a tag")?;
                c.last_insert_rowid()
            }
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
        c: &Connection,
        a: &NewArtifact,
        p: &Prepared<'_>,
        now: i64,
        tag_ids: &mut HashMap<String, i64>,
    ) -> Result<PutOutcome> {
        let q = &self.q;
        let digest = &p.digest.as_bytes()[..];
        let tag_names = join_tags(p.tags.iter().copied());
        let inserted = c
            .prepare_cached(&q.artifact_insert)
            .and_then(|mut s| {
                s.execute(params![
                    a.key.kind(),
                    a.key.name(),
                    a.description,
                    a.source,
                    digest,
                    tag_names,
                    now,
                    now
                ])
            })
            .context("inserting an artifact")?;
        // Nothing inserted means the key exists (ON CONFLICT DO NOTHING).
        let inserted = (inserted > 0).then(|| c.last_insert_rowid());

        let (id, outcome, files_changed, tags_changed) = match inserted {
            Some(id) => (id, PutOutcome::Created, true, !p.tags.is_empty()),
            None => {
                let (id, old_digest, old_description, old_source): (
                    i64,
                    Vec<u8>,
                    String,
                    Option<String>,
                ) = c
                    .prepare_cached(&q.artifact_head)
                    .and_then(|mut s| {
                        s.query_row(params![a.key.kind(), a.key.name()], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                    })
                    .context("reading the stored artifact")?;
                let old_tags: BTreeSet<String> = c
                    .prepare_cached(&q.tags_of)
                    .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
                    .context("reading an artifact's tags")?;
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
                c.prepare_cached(&q.artifact_update)
                    .and_then(|mut s| {
                        s.execute(params![a.description, a.source, digest, tag_names, now, id])
                    })
                    .context("updating an artifact")?;
                (id, PutOutcome::Updated, files_changed, tags_changed)
            }
        };

        if files_changed {
            if outcome == PutOutcome::Updated {
                c.prepare_cached(&q.files_delete)
                    .and_then(|mut s| s.execute([id]))
                    .context("replacing an artifact's files")?;
            }
            let mut blob = c.prepare_cached(&q.blob_insert).context("storing a blob")?;
            let mut file = c
                .prepare_cached(&q.file_insert)
                .context("storing an artifact file")?;
            for (f, hash) in &p.files {
                let hash = &hash.as_bytes()[..];
                blob.execute(params![hash, f.content.len() as i64, f.content])
                    .context("storing a blob")?;
                file.execute(params![id, f.path, hash, f.executable, f.verbatim])
                    .context("storing an artifact file")?;
            }
            self.record_version(c, id, digest, now, outcome == PutOutcome::Created)?;
        }

        if tags_changed {
            if outcome == PutOutcome::Updated {
                c.prepare_cached(&q.artifact_tags_delete)
                    .and_then(|mut s| s.execute([id]))
                    .context("replacing an artifact's tags")?;
            }
            for t in &p.tags {
                let tag = self.tag_id(c, t, tag_ids)?;
                c.prepare_cached(&q.artifact_tag_insert)
                    .and_then(|mut s| s.execute([id, tag]))
                    .context("tagging an artifact")?;
            }
        }
        Ok(outcome)
    }

    fn record_version(
        &self,
        c: &Connection,
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
            let seen: Option<i64> = c
                .prepare_cached(&q.version_find)
                .and_then(|mut s| s.query_row(params![id, digest], |r| r.get(0)).optional())
                .context("looking up an artifact version")?;
            if seen.is_some() {
                return Ok(());
            }
            c.prepare_cached(&q.version_max)
                .and_then(|mut s| s.query_row([id], |r| r.get::<_, i64>(0)))
                .context("numbering an artifact version")?
                + 1
        };
        c.prepare_cached(&q.version_insert)
            .and_then(|mut s| s.execute(params![id, version, digest, now]))
            .context("recording an artifact version")?;
        Ok(())
    }

    /// Deletes an artifact with its files, tags and memberships (collection
    /// and group counts follow through the triggers).
    ///
    /// Refused with [`Error::InUse`] while a template lists it.
    pub fn delete_artifact(&self, key: &ArtifactKey) -> Result<()> {
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            let templates: Vec<String> = c
                .prepare_cached(&self.q.templates_using)
                .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
                .context("checking templates that use an artifact")?;
            if !templates.is_empty() {
                return Err(Error::InUse {
                    artifact: key.to_string(),
                    templates,
                });
            }
            c.prepare_cached(&self.q.artifact_delete)
                .and_then(|mut s| s.execute([id]))
                .context("deleting an artifact")?;
            Ok(())
        })
    }

    /// An artifact with its files (contents verified against their hashes)
    /// and tags. Two statements.
    pub fn artifact(&self, key: &ArtifactKey) -> Result<Artifact> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(&self.q.artifact_full)
                .context("reading an artifact")?;
            let mut rows = stmt
                .query(params![key.kind(), key.name()])
                .context("reading an artifact")?;
            let mut out: Option<(i64, Artifact)> = None;
            while let Some(r) = rows.next().context("reading an artifact")? {
                if out.is_none() {
                    let digest: Vec<u8> = r.get(5).context("reading an artifact")?;
                    let version: Option<i64> = r.get(6).context("reading an artifact")?;
                    let a = Artifact {
                        key: key.clone(),
                        description: r.get(1).context("reading an artifact")?,
                        source: r.get(2).context("reading an artifact")?,
                        created_ms: r.get(3).context("reading an artifact")?,
                        updated_ms: r.get(4).context("reading an artifact")?,
                        digest: hex32(&digest),
                        version: version.and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
                        files: Vec::new(),
                        tags: Vec::new(),
                    };
                    out = Some((r.get(0).context("reading an artifact")?, a));
                }
                let path: Option<String> = r.get(7).context("reading an artifact file")?;
                if let (Some(path), Some((_, artifact))) = (path, out.as_mut()) {
                    let file = verified(
                        || key.to_string(),
                        &path,
                        r.get(10).context("reading an artifact file")?,
                        r.get(11).context("reading an artifact file")?,
                        r.get(8).context("reading an artifact file")?,
                        r.get(9).context("reading an artifact file")?,
                    )?;
                    artifact.files.push(file);
                }
            }
            drop(rows);
            drop(stmt);
            let Some((id, mut artifact)) = out else {
                return Err(Error::not_found(ObjectKind::Artifact, key.to_string()));
            };
            artifact.tags = c
                .prepare_cached(&self.q.tags_of)
                .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
                .context("reading an artifact's tags")?;
            Ok(artifact)
        })
    }

    /// The content versions of an artifact, oldest first. One statement.
    pub fn versions(&self, key: &ArtifactKey) -> Result<Vec<ArtifactVersion>> {
        let versions: Vec<ArtifactVersion> = self
            .conn
            .prepare_cached(&self.q.artifact_versions)
            .and_then(|mut s| {
                s.query_map(params![key.kind(), key.name()], |r| {
                    let digest: Vec<u8> = r.get(1)?;
                    Ok(ArtifactVersion {
                        version: u32::try_from(r.get::<_, i64>(0)?).unwrap_or(0),
                        digest: hex32(&digest),
                        created_ms: r.get(2)?,
                    })
                })?
                .collect()
            })
            .context("reading artifact versions")?;
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
                c.prepare_cached(&self.q.artifact_tag_insert)
                    .and_then(|mut s| s.execute([id, tag]))
                    .context("tagging an artifact")?;
            }
            self.refresh_tag_names(c, id)
        })
    }

    /// Removes tags from an artifact; tags it does not carry are ignored.
    pub fn remove_tags(&self, key: &ArtifactKey, tags: &[&str]) -> Result<()> {
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            for t in tags {
                let tag: Option<i64> = c
                    .prepare_cached(&self.q.tag_find)
                    .and_then(|mut s| s.query_row([t], |r| r.get(0)).optional())
                    .context("looking up a tag")?;
                if let Some(tag) = tag {
                    c.prepare_cached(&self.q.artifact_tag_delete)
                        .and_then(|mut s| s.execute([id, tag]))
                        .context("untagging an artifact")?;
                }
            }
            self.refresh_tag_names(c, id)
        })
    }

    /// Rewrites an artifact's `tag_names` copy from its tag links.
    fn refresh_tag_names(&self, c: &Connection, id: i64) -> Result<()> {
        let names: Vec<String> = c
            .prepare_cached(&self.q.tags_of)
            .and_then(|mut s| s.query_map([id], |r| r.get(0))?.collect())
            .context("reading an artifact's tags")?;
        c.prepare_cached(&self.q.artifact_tag_names)
            .and_then(|mut s| s.execute(params![join_tags(names.iter().map(String::as_str)), id]))
            .context("recording an artifact's tags")?;
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
        let sql = self.shape_sql(
            ShapeKind::Page,
            filter.shape(query.sort, after.is_some()),
            || queries::page_statement(self.backend, &filter, query.sort, after.as_ref()),
        );
        let values = queries::page_params(&filter, after.as_ref());
        let limit = query.limit as usize;
        self.read(|c| {
            let mut ids: Vec<i64> = Vec::with_capacity(limit + 1);
            let mut items: Vec<ArtifactSummary> = Vec::with_capacity(limit + 1);
            {
                let ctx = "listing artifacts";
                let mut stmt = c.prepare_cached(&sql).context(ctx)?;
                let mut rows = stmt.query(binder::params(&values)).context(ctx)?;
                while ids.len() <= limit {
                    let Some(r) = rows.next().context(ctx)? else {
                        break;
                    };
                    let (id, item) = summary_row(r).context(ctx)?;
                    ids.push(id);
                    items.push(item);
                }
            }
            let more = items.len() > limit;
            ids.truncate(limit);
            items.truncate(limit);
            if items.is_empty() {
                return Ok(ArtifactPage {
                    items,
                    next_cursor: None,
                });
            }
            // Row ids to page positions, for attaching collections: a sorted
            // vector beats a hash map at these sizes (≤ 500).
            let mut index: Vec<(i64, usize)> = ids.iter().copied().zip(0..).collect();
            index.sort_unstable();
            let id_list: rusqlite::vtab::array::Array =
                std::rc::Rc::new(ids.iter().map(|&id| id.into()).collect());

            let ctx = "reading collections of a page";
            let mut stmt = c.prepare_cached(&self.q.page_collections).context(ctx)?;
            let mut rows = stmt.query([id_list]).context(ctx)?;
            while let Some(r) = rows.next().context(ctx)? {
                let id: i64 = r.get(0).context(ctx)?;
                if let Ok(at) = index.binary_search_by_key(&id, |&(id, _)| id) {
                    items[index[at].1].collections.push(CollectionRef {
                        name: r.get(1).context(ctx)?,
                        artifact_count: count(r.get(2).context(ctx)?),
                    });
                }
            }
            drop(rows);
            drop(stmt);

            for item in &mut items {
                item.collections
                    .sort_unstable_by(|x, y| x.name.cmp(&y.name));
            }
            let next_cursor = match (items.last(), ids.last()) {
                (Some(last), Some(&id)) if more => {
                    Some(cursor::encode_artifact(&match query.sort {
                        ArtifactSort::Name => After::Name {
                            name: last.key.name().to_owned(),
                            id,
                        },
                        ArtifactSort::RecentlyUpdated => After::Updated {
                            updated_at: last.updated_ms,
                            id,
                        },
                    }))
                }
                _ => None,
            };
            Ok(ArtifactPage { items, next_cursor })
        })
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
        let facets = self.read(|c| {
            let pairs = |sql: &str| -> Result<Vec<(String, u64)>> {
                c.prepare_cached(sql)
                    .and_then(|mut s| {
                        s.query_map(binder::params(&values), |r| {
                            Ok((r.get(0)?, count(r.get(1)?)))
                        })?
                        .collect()
                    })
                    .context("counting facets")
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
        let tags: Vec<TagCount> = self
            .conn
            .prepare_cached(&self.q.tag_counts)
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(TagCount {
                        name: r.get(0)?,
                        count: count(r.get(1)?),
                    })
                })?
                .collect()
            })
            .context("counting tags")?;
        self.cache.fill_tags(epoch, Arc::new(tags.clone()));
        Ok(tags)
    }

    // --------------------------------------------------------- collections

    /// Creates an empty collection.
    pub fn create_collection(&self, name: &str, description: &str) -> Result<()> {
        validate_name("collection name", name)?;
        self.write(|c| {
            let inserted = c
                .prepare_cached(&self.q.collection_insert)
                .and_then(|mut s| s.execute(params![name, description, now_ms()]))
                .context("creating a collection")?;
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
            c.prepare_cached(&self.q.collection_rename)
                .and_then(|mut s| s.execute(params![to, id]))
                .context("renaming a collection")?;
            Ok(())
        })
    }

    /// Deletes a collection with its memberships and groups (the artifacts
    /// stay; templates built from it keep their entities).
    pub fn delete_collection(&self, name: &str) -> Result<()> {
        self.write(|c| {
            let id = self.collection_id(c, name)?;
            c.prepare_cached(&self.q.collection_delete)
                .and_then(|mut s| s.execute([id]))
                .context("deleting a collection")?;
            Ok(())
        })
    }

    /// Adds artifacts to a collection, reporting which were added, already
    /// present, or unknown (unknown keys are reported, not an error).
    pub fn add_to_collection(&self, name: &str, keys: &[ArtifactKey]) -> Result<MembershipReport> {
        self.write(|c| {
            let cid = self.collection_id(c, name)?;
            self.each_member(c, keys, |c, aid| {
                c.prepare_cached(&self.q.member_insert)
                    .and_then(|mut s| s.execute([cid, aid]))
                    .context("adding to a collection")
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
                c.prepare_cached(&self.q.member_delete)
                    .and_then(|mut s| s.execute([cid, aid]))
                    .context("removing from a collection")
            })
        })
    }

    fn each_member(
        &self,
        c: &Connection,
        keys: &[ArtifactKey],
        mut change: impl FnMut(&Connection, i64) -> Result<usize>,
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
        let map = |r: &Row<'_>| {
            Ok(CollectionSummary {
                name: r.get(0)?,
                description: r.get(1)?,
                artifact_count: count(r.get(2)?),
                group_count: count(r.get(3)?),
            })
        };
        let mut items: Vec<CollectionSummary> = match &after {
            None => self
                .conn
                .prepare_cached(&self.q.collections_first)
                .and_then(|mut s| s.query_map([], map)?.take(fetch).collect()),
            Some(name) => self
                .conn
                .prepare_cached(&self.q.collections_after)
                .and_then(|mut s| s.query_map([name], map)?.take(fetch).collect()),
        }
        .context("listing collections")?;
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
            let row = c
                .prepare_cached(&self.q.collection_row)
                .and_then(|mut s| {
                    s.query_row([name], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            CollectionSummary {
                                name: r.get(1)?,
                                description: r.get(2)?,
                                artifact_count: count(r.get(3)?),
                                group_count: count(r.get(4)?),
                            },
                        ))
                    })
                    .optional()
                })
                .context("reading a collection")?;
            let Some((id, collection)) = row else {
                return Err(Error::not_found(ObjectKind::Collection, name));
            };
            let groups = c
                .prepare_cached(&self.q.groups_of)
                .and_then(|mut s| {
                    s.query_map([id], |r| {
                        Ok(GroupSummary {
                            name: r.get(0)?,
                            position: r.get(1)?,
                            artifact_count: count(r.get(2)?),
                        })
                    })?
                    .collect()
                })
                .context("reading a collection's groups")?;
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
            .conn
            .prepare_cached(&self.q.collection_count)
            .and_then(|mut s| s.query_row([name], |r| r.get(0)).optional())
            .context("counting a collection")?
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
            let inserted = c
                .prepare_cached(&self.q.group_insert)
                .and_then(|mut s| s.execute(params![cid, group, position]))
                .context("creating a group")?;
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
            c.prepare_cached(&self.q.group_delete)
                .and_then(|mut s| s.execute([gid]))
                .context("deleting a group")?;
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
                c.prepare_cached(&self.q.member_insert)
                    .and_then(|mut s| s.execute([cid, aid]))
                    .context("adding to a collection")?;
                c.prepare_cached(&self.q.group_member_insert)
                    .and_then(|mut s| s.execute([gid, aid]))
                    .context("adding to a group")
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
                c.prepare_cached(&self.q.group_member_delete)
                    .and_then(|mut s| s.execute([gid, aid]))
                    .context("removing from a group")
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
                (None, false) => {
                    c.prepare_cached(&q.template_insert)
                        .and_then(|mut s| {
                            s.execute(params![spec.name, spec.description, collection, now, now])
                        })
                        .context("creating a template")?;
                    c.last_insert_rowid()
                }
                (Some(id), true) => {
                    c.prepare_cached(&q.template_update)
                        .and_then(|mut s| s.execute(params![spec.description, collection, now, id]))
                        .context("updating a template")?;
                    for sql in [&q.entities_delete, &q.variables_delete] {
                        c.prepare_cached(sql)
                            .and_then(|mut s| s.execute([id]))
                            .context("replacing a template's entities")?;
                    }
                    id
                }
            };
            for (order, e) in spec.entities.iter().enumerate() {
                let aid = self.require_artifact(c, &e.artifact)?;
                c.prepare_cached(&q.entity_insert)
                    .and_then(|mut s| s.execute(params![id, aid, order as i64, e.required]))
                    .context("adding a template entity")?;
            }
            for (pos, v) in spec.variables.iter().enumerate() {
                c.prepare_cached(&q.variable_insert)
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            pos as i64,
                            v.name,
                            v.required,
                            v.default,
                            v.description
                        ])
                    })
                    .context("declaring a template variable")?;
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
            c.prepare_cached(&self.q.template_delete)
                .and_then(|mut s| s.execute([id]))
                .context("deleting a template")?;
            Ok(())
        })
    }

    /// All templates by name, with their entity counts. One statement.
    pub fn list_templates(&self) -> Result<Vec<TemplateSummary>> {
        self.conn
            .prepare_cached(&self.q.templates_list)
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(TemplateSummary {
                        name: r.get(0)?,
                        description: r.get(1)?,
                        collection: r.get(2)?,
                        entity_count: count(r.get(3)?),
                    })
                })?
                .collect()
            })
            .context("listing templates")
    }

    /// A template with its declared variables and its entities in deploy
    /// order, each with its artifact's files and verified contents: everything
    /// a deploy needs. **2 statements** (budget 3): the template with its
    /// variables, then entities with files and blobs.
    pub fn load_template(&self, name: &str) -> Result<Template> {
        self.read(|c| {
            let ctx = "loading a template";
            let mut stmt = c.prepare_cached(&self.q.template_head).context(ctx)?;
            let mut rows = stmt.query([name]).context(ctx)?;
            let mut head: Option<(i64, Template)> = None;
            while let Some(r) = rows.next().context(ctx)? {
                if head.is_none() {
                    head = Some((
                        r.get(0).context(ctx)?,
                        Template {
                            name: r.get(1).context(ctx)?,
                            description: r.get(2).context(ctx)?,
                            collection: r.get(3).context(ctx)?,
                            variables: Vec::new(),
                            entities: Vec::new(),
                        },
                    ));
                }
                let var: Option<String> = r.get(4).context(ctx)?;
                if let (Some(var), Some((_, t))) = (var, head.as_mut()) {
                    t.variables.push(VariableDecl {
                        name: var,
                        required: r.get(5).context(ctx)?,
                        default: r.get(6).context(ctx)?,
                        description: r.get(7).context(ctx)?,
                    });
                }
            }
            drop(rows);
            drop(stmt);
            let Some((id, mut template)) = head else {
                return Err(Error::not_found(ObjectKind::Template, name));
            };

            let mut stmt = c.prepare_cached(&self.q.template_entities).context(ctx)?;
            let mut rows = stmt.query([id]).context(ctx)?;
            while let Some(r) = rows.next().context(ctx)? {
                let order: i64 = r.get(0).context(ctx)?;
                let order = u32::try_from(order).unwrap_or(u32::MAX);
                let same = template
                    .entities
                    .last()
                    .is_some_and(|e| e.deploy_order == order);
                if !same {
                    let kind: String = r.get(2).context(ctx)?;
                    let aname: String = r.get(3).context(ctx)?;
                    template.entities.push(TemplateEntity {
                        deploy_order: order,
                        required: r.get(1).context(ctx)?,
                        artifact: ArtifactKey::new(kind, aname)?,
                        description: r.get(4).context(ctx)?,
                        files: Vec::new(),
                    });
                }
                let path: Option<String> = r.get(5).context(ctx)?;
                if let (Some(path), Some(entity)) = (path, template.entities.last_mut()) {
                    let file = verified(
                        || entity.artifact.to_string(),
                        &path,
                        r.get(8).context(ctx)?,
                        r.get(9).context(ctx)?,
                        r.get(6).context(ctx)?,
                        r.get(7).context(ctx)?,
                    )?;
                    entity.files.push(file);
                }
            }
            Ok(template)
        })
    }

    // -------------------------------------------------------------- counts

    /// Every stored counter or copy that disagrees with the rows it
    /// summarises: collection artifact and group counts, group artifact
    /// counts (each against a `GROUP BY`), and each artifact's `tag_names`
    /// copy. Empty when everything is consistent. Three statements; reads
    /// every tag link, so it is a maintenance operation, not a hot path.
    pub fn verify_counts(&self) -> Result<Vec<Drift>> {
        self.read(|c| {
            let mut drift = self.count_drift(c)?;
            drift.extend(self.tag_name_drift(c)?.into_iter().map(|(_, d, _)| d));
            Ok(drift)
        })
    }

    fn count_drift(&self, c: &Connection) -> Result<Vec<Drift>> {
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
        let mut stmt = c.prepare_cached(&self.q.verify_collections).context(ctx)?;
        let mut rows = stmt.query([]).context(ctx)?;
        while let Some(r) = rows.next().context(ctx)? {
            let name: String = r.get(0).context(ctx)?;
            push(
                format!("collection {name} artifact_count"),
                r.get(1).context(ctx)?,
                r.get(2).context(ctx)?,
            );
            push(
                format!("collection {name} group_count"),
                r.get(3).context(ctx)?,
                r.get(4).context(ctx)?,
            );
        }
        drop(rows);
        drop(stmt);
        let mut stmt = c.prepare_cached(&self.q.verify_groups).context(ctx)?;
        let mut rows = stmt.query([]).context(ctx)?;
        while let Some(r) = rows.next().context(ctx)? {
            let coll: String = r.get(0).context(ctx)?;
            let group: String = r.get(1).context(ctx)?;
            push(
                format!("group {coll}/{group} artifact_count"),
                r.get(2).context(ctx)?,
                r.get(3).context(ctx)?,
            );
        }
        Ok(drift)
    }

    /// Artifacts whose `tag_names` copy disagrees with their tag links:
    /// (artifact id, the drift, the correct copy).
    fn tag_name_drift(&self, c: &Connection) -> Result<Vec<(i64, Drift, String)>> {
        let ctx = "verifying tag names";
        let mut out = Vec::new();
        let mut stmt = c.prepare_cached(&self.q.verify_tag_names).context(ctx)?;
        let mut rows = stmt.query([]).context(ctx)?;
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
        while let Some(r) = rows.next().context(ctx)? {
            let id: i64 = r.get(0).context(ctx)?;
            if current.as_ref().is_none_or(|cur| cur.0 != id) {
                let kind: String = r.get(1).context(ctx)?;
                let name: String = r.get(2).context(ctx)?;
                let next = (
                    id,
                    format!("{kind}:{name}"),
                    r.get(3).context(ctx)?,
                    Vec::new(),
                );
                finish(current.replace(next));
            }
            let tag: Option<String> = r.get(4).context(ctx)?;
            if let (Some(tag), Some(cur)) = (tag, current.as_mut()) {
                cur.3.push(tag);
            }
        }
        finish(current);
        Ok(out)
    }

    /// Recomputes every stored counter from the rows it counts and every
    /// artifact's `tag_names` copy from its tag links, repairing drift (from
    /// edits made outside the catalogue, for instance).
    pub fn recount(&self) -> Result<()> {
        self.write(|c| {
            for sql in [&self.q.recount_collections, &self.q.recount_groups] {
                c.prepare_cached(sql)
                    .and_then(|mut s| s.execute([]))
                    .context("recounting")?;
            }
            for (id, _, names) in self.tag_name_drift(c)? {
                c.prepare_cached(&self.q.artifact_tag_names)
                    .and_then(|mut s| s.execute(params![names, id]))
                    .context("repairing tag names")?;
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
        let stmt = c.conn.prepare_cached(&sql).unwrap();
        // A bound LIMIT or LIKE pattern would make SQLite re-prepare at each
        // execution; see `queries::page_statement`.
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
        assert!(stmt.get_status(rusqlite::StatementStatus::Run) >= 2);
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
