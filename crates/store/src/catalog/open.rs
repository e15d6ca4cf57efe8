//! Opening: the builder's last step ([`CatalogBuilder::open`],
//! [`open_in_memory`](CatalogBuilder::open_in_memory),
//! [`open_target`](CatalogBuilder::open_target),
//! `open_postgres`), assembling a [`Catalog`] over the connection that
//! `sqlite.rs` or `pg.rs` set up.

use std::path::Path;
use std::sync::Arc;

#[cfg(feature = "postgres")]
use super::Db;
use super::{Catalog, CatalogBuilder};
#[cfg(feature = "postgres")]
use crate::backend::Backend;
#[cfg(feature = "postgres")]
use crate::cache::CountCache;
use crate::counters::Counters;
use crate::error::{Error, Result};
use crate::model::CountMode;
#[cfg(feature = "postgres")]
use crate::queries::Queries;
use crate::target::CatalogTarget;

impl CatalogBuilder {
    /// Opens the catalogue file at `path` and migrates it to the current
    /// schema; creates it first if it is missing or empty, unless
    /// [`CatalogBuilder::create`] is off.
    ///
    /// Refused without writing to the file ([`Error::NotACatalogue`]):
    /// a directory, device or other non-regular file, a file that is not a
    /// SQLite database, another application's database. A catalogue whose
    /// file or directory cannot be written is opened read-only
    /// ([`Catalog::is_read_only`]): every read works, every write fails with
    /// [`Error::ReadOnly`].
    pub fn open(self, path: impl AsRef<Path>) -> Result<Catalog> {
        let path = path.as_ref();
        self.refuse_query_mode()?;
        let counters = Arc::new(Counters::default());
        let opened = crate::sqlite::open_file(path, self.create, self.busy_timeout, &counters)?;
        let mut catalog = Catalog::sqlite(opened.conn, path.display().to_string(), counters, self);
        catalog.read_only = opened.read_only;
        Ok(catalog)
    }

    /// Opens a fresh catalogue that lives in memory only.
    pub fn open_in_memory(self) -> Result<Catalog> {
        self.refuse_query_mode()?;
        let counters = Arc::new(Counters::default());
        let conn = crate::sqlite::open_in_memory(self.busy_timeout, &counters)?;
        Ok(Catalog::sqlite(conn, ":memory:".to_owned(), counters, self))
    }

    /// Opens the catalogue `target` names: [`CatalogBuilder::open`] for a
    /// file, [`CatalogBuilder::open_postgres`] for a PostgreSQL database
    /// (refused with [`Error::Invalid`] when this build lacks the `postgres`
    /// feature).
    pub fn open_target(self, target: &CatalogTarget) -> Result<Catalog> {
        if let Some(path) = target.file() {
            return self.open(path);
        }
        #[cfg(feature = "postgres")]
        if let Some(conn_str) = target.connection_string() {
            return self.open_postgres(conn_str);
        }
        Err(Error::invalid(
            "catalogue",
            &target.to_string(),
            "this build of stencil-store has no PostgreSQL support (feature `postgres`)",
        ))
    }

    fn refuse_query_mode(&self) -> Result<()> {
        if self.count_mode == Some(CountMode::Query) {
            return Err(Error::invalid(
                "count mode",
                "Query",
                "SQLite catalogues keep counts by trigger (one writer at a time, so the \
                 trigger's lock costs nothing); the trigger-free mode is for PostgreSQL",
            ));
        }
        Ok(())
    }

    /// Opens (creating the tables if needed) the catalogue in a PostgreSQL
    /// database and migrates it to the current schema. `conn_str` is a
    /// `postgres://user@host:port/dbname` URL or a `host=… dbname=…`
    /// key-value string (libpq syntax; no TLS). Connections come from a pool
    /// ([`CatalogBuilder::pool_size`]); each keeps its statements prepared.
    ///
    /// The client is blocking: from async code, call the catalogue through
    /// `spawn_blocking` (see [`Catalog`]).
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
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
            &[
                &triggers.maintenance.recount_collections,
                &triggers.maintenance.recount_groups,
            ],
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
