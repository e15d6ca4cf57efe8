//! The internal connection seam: one small API (query rows, execute, insert
//! returning an id) with one implementation per driver, so every operation in
//! `catalog/` is written once for both backends.
//!
//! Statements are identified by their printed SQL and prepared once per
//! connection (rusqlite's statement cache; for PostgreSQL the per-connection
//! map in `pg.rs`). Parameters are borrowed ([`Param`], `param.rs`), so
//! binding an artifact's content copies nothing; rows are read by column
//! position, which both drivers support (the positions are checked against
//! the statements by the tests in `queries/tests.rs`).

use crate::error::{Context, Result};
use crate::param::Param;

/// A column type both drivers can read.
pub(crate) trait Col: rusqlite::types::FromSql + PgCol {}
impl<T: rusqlite::types::FromSql + PgCol> Col for T {}

#[cfg(feature = "postgres")]
pub(crate) trait PgCol: for<'a> postgres::types::FromSql<'a> {}
#[cfg(feature = "postgres")]
impl<T: for<'a> postgres::types::FromSql<'a>> PgCol for T {}
#[cfg(not(feature = "postgres"))]
pub(crate) trait PgCol {}
#[cfg(not(feature = "postgres"))]
impl<T> PgCol for T {}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    #[cfg(feature = "postgres")]
    Postgres(&'r postgres::Row),
}

/// One result row; errors name what the catalogue was doing.
pub(crate) struct Row<'r> {
    inner: RowInner<'r>,
    ctx: &'static str,
}

impl Row<'_> {
    /// Column `i` (0-based) as `T`.
    pub(crate) fn get<T: Col>(&self, i: usize) -> Result<T> {
        match self.inner {
            RowInner::Sqlite(r) => r.get(i).context(self.ctx),
            #[cfg(feature = "postgres")]
            RowInner::Postgres(r) => r.try_get(i).map_err(|e| crate::pg::error(self.ctx, e)),
        }
    }

    /// Column `i` (0-based) as text borrowed from the row, handed to `f`:
    /// for a value that is looked at, not kept.
    pub(crate) fn with_str<T>(&self, i: usize, f: impl FnOnce(&str) -> Result<T>) -> Result<T> {
        match self.inner {
            RowInner::Sqlite(r) => {
                let text = r
                    .get_ref(i)
                    .and_then(|v| {
                        v.as_str().map_err(|e| {
                            rusqlite::Error::FromSqlConversionFailure(
                                i,
                                rusqlite::types::Type::Text,
                                Box::new(e),
                            )
                        })
                    })
                    .context(self.ctx)?;
                f(text)
            }
            #[cfg(feature = "postgres")]
            RowInner::Postgres(r) => f(r
                .try_get::<_, &str>(i)
                .map_err(|e| crate::pg::error(self.ctx, e))?),
        }
    }
}

/// A connection (or transaction) of either backend, borrowed for one
/// operation.
pub(crate) enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres {
        session: &'a std::cell::RefCell<crate::pg::Session>,
        counters: &'a crate::counters::Counters,
    },
}

impl Conn<'_> {
    /// Runs a query and hands each row to `each` until it returns `false`
    /// or the rows end.
    pub(crate) fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
        mut each: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        match self {
            Conn::Sqlite(c) => {
                let mut stmt = c.prepare_cached(sql).context(ctx)?;
                let mut rows = stmt
                    .query(rusqlite::params_from_iter(params.iter()))
                    .context(ctx)?;
                while let Some(r) = rows.next().context(ctx)? {
                    let row = Row {
                        inner: RowInner::Sqlite(r),
                        ctx,
                    };
                    if !each(&row)? {
                        break;
                    }
                }
                Ok(())
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres { session, counters } => {
                counters.statement();
                let rows = session.borrow_mut().query(sql, params, ctx)?;
                for r in &rows {
                    let row = Row {
                        inner: RowInner::Postgres(r),
                        ctx,
                    };
                    if !each(&row)? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// Runs a statement that returns no rows; the number of rows changed.
    pub(crate) fn execute(
        &self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
    ) -> Result<u64> {
        match self {
            Conn::Sqlite(c) => c
                .prepare_cached(sql)
                .and_then(|mut s| s.execute(rusqlite::params_from_iter(params.iter())))
                .map(|n| n as u64)
                .context(ctx),
            #[cfg(feature = "postgres")]
            Conn::Postgres { session, counters } => {
                counters.statement();
                session.borrow_mut().execute(sql, params, ctx)
            }
        }
    }

    /// Runs an INSERT printed with `Backend::return_new_id`: the new row's
    /// id, or `None` when nothing was inserted (`ON CONFLICT DO NOTHING`).
    pub(crate) fn insert_id(
        &self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
    ) -> Result<Option<i64>> {
        match self {
            Conn::Sqlite(c) => {
                let n = self.execute(sql, params, ctx)?;
                Ok((n > 0).then(|| c.last_insert_rowid()))
            }
            #[cfg(feature = "postgres")]
            Conn::Postgres { .. } => self.query_opt(sql, params, ctx, |r| r.get(0)),
        }
    }

    /// The first row mapped by `f`, if any.
    pub(crate) fn query_opt<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut out = None;
        self.query(sql, params, ctx, |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(false)
        })?;
        Ok(out)
    }

    /// Every row mapped by `f`.
    pub(crate) fn query_vec<T>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        ctx: &'static str,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.query(sql, params, ctx, |r| {
            out.push(f(r)?);
            Ok(true)
        })?;
        Ok(out)
    }
}
