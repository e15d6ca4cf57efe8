//! [`CatalogBuilder`]: the settings a catalogue is opened with (opening
//! itself is in `mod.rs`, beside the handle it assembles).

use std::num::NonZeroUsize;
use std::time::Duration;

use crate::model::CountMode;

/// Configures and opens a [`Catalog`](crate::Catalog).
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
    pub(super) cache_capacity: NonZeroUsize,
    pub(super) cache_ttl: Duration,
    pub(super) busy_timeout: Duration,
    pub(super) detect_external_writes: bool,
    pub(super) count_mode: Option<CountMode>,
    pub(super) postgres_schema: Option<String>,
    pub(super) pool_size: u32,
    pub(super) pool_timeout: Duration,
    pub(super) create: bool,
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
            create: true,
        }
    }
}

impl CatalogBuilder {
    /// Whether [`open`](CatalogBuilder::open) may create the catalogue
    /// file: on (the default), a missing or empty file becomes a new
    /// catalogue; off, it is refused with
    /// [`Error::NotACatalogue`](crate::Error::NotACatalogue) and nothing is
    /// created, which is what a command that only reads wants (a mistyped
    /// path must not leave an empty catalogue behind). PostgreSQL creates
    /// its tables either way: the server, not a path, says whether the
    /// database exists.
    pub fn create(mut self, create: bool) -> Self {
        self.create = create;
        self
    }

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
    /// by one thread holds one; handles from [`Catalog::try_clone`](crate::Catalog::try_clone) share
    /// the pool.
    pub fn pool_size(mut self, connections: u32) -> Self {
        self.pool_size = connections.max(1);
        self
    }

    /// PostgreSQL: how long connecting, or waiting for a free pooled
    /// connection, may take before the operation fails with the retryable
    /// [`Error::Unavailable`](crate::Error::Unavailable). Default five seconds.
    pub fn pool_timeout(mut self, timeout: Duration) -> Self {
        self.pool_timeout = timeout;
        self
    }
}
