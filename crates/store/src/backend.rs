//! The backend seam: everything that differs between SQL dialects lives here.
//!
//! Query *shapes* are written once, with sea-query, in `queries.rs`; this
//! module decides how they are printed (`build_for`), how an ID list is bound
//! (`in_id_list`), how a substring search is spelt (`contains`) and which
//! migration scripts create the schema. A PostgreSQL backend adds a variant to
//! [`Backend`] and an arm to each `match` below, and nothing else in the query
//! code changes.

use sea_query::{
    DeleteStatement, Expr, ExprTrait, Func, InsertStatement, IntoIden, Query, SelectStatement,
    SqliteQueryBuilder, UpdateStatement, Value, Values,
};

/// The bound value of a [`Backend::contains`] search: the needle, ASCII
/// lowercased like the column it is compared with.
pub(crate) fn search_param(needle: &str) -> String {
    needle.to_ascii_lowercase()
}

/// The SQL dialect a catalogue speaks.
///
/// Chosen by an enum rather than `dyn QueryBuilder` so that every
/// dialect-specific choice is an exhaustive `match` the compiler checks when a
/// backend is added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite through rusqlite (bundled), file or in-memory.
    Sqlite,
}

/// A sea-query statement that a backend can print.
pub(crate) trait Buildable {
    fn build_for(&self, backend: Backend) -> (String, Values);
}

macro_rules! buildable {
    ($($t:ty),*) => {$(
        impl Buildable for $t {
            fn build_for(&self, backend: Backend) -> (String, Values) {
                match backend {
                    Backend::Sqlite => self.build(SqliteQueryBuilder),
                }
            }
        }
    )*};
}
buildable!(
    SelectStatement,
    InsertStatement,
    UpdateStatement,
    DeleteStatement
);

impl Backend {
    /// Prints a fixed-shape statement once; values are bound at each call.
    pub(crate) fn sql(self, stmt: &impl Buildable) -> String {
        stmt.build_for(self).0
    }

    /// `column IN <a list of row IDs bound as one parameter>`.
    ///
    /// One parameter, whatever the list length, so the statement text (and
    /// its prepared plan) does not change with the page size. The list is
    /// bound by the connection layer (`catalog.rs`): SQLite has no array
    /// type, so it goes in as a pointer to a `Vec` read by the `rarray`
    /// table-valued function (rusqlite's `array` feature, loaded at open).
    /// It replaced a JSON text read with `json_each`, whose parsing cost
    /// ~10 µs of a 50-row page here. PostgreSQL: `= ANY($1)` with an array.
    pub(crate) fn in_id_list(self, column: Expr) -> Expr {
        match self {
            Backend::Sqlite => column.in_subquery(
                Query::select()
                    .column("value")
                    // The value is a placeholder: the list is bound later.
                    .from_function(Func::cust("rarray").arg(Expr::val(0i64)), "ids")
                    .to_owned(),
            ),
        }
    }

    /// Substring match on a text column, ASCII case-insensitive; bind
    /// [`search_param`] of the needle.
    pub(crate) fn contains(self, column: Expr, needle: &str) -> Expr {
        match self {
            // `instr(lower(col), ?) > 0` rather than `LIKE '%…%'`: SQLite
            // plans LIKE with the bound pattern, which re-prepares the
            // statement at every execution, and LIKE needs wildcard escaping.
            // PostgreSQL: `strpos(lower(col), $1) > 0` or ILIKE.
            Backend::Sqlite => Expr::from(
                Func::cust("instr")
                    .arg(Func::lower(column))
                    .arg(search_param(needle)),
            )
            .gt(Expr::Constant(Value::from(0))),
        }
    }

    /// How an INSERT reports the id of its new row. SQLite: not at all in the
    /// statement, the caller reads `last_insert_rowid()` (free), because
    /// `RETURNING` measured 2–3× the cost of the insert itself here (5.7 vs
    /// 2.4 µs per row into `artifacts`). PostgreSQL will add `RETURNING id`.
    pub(crate) fn return_new_id(self, insert: &mut InsertStatement, id: impl IntoIden) {
        match self {
            // Nothing to add: the caller reads `last_insert_rowid()`.
            Backend::Sqlite => {
                let _ = (insert, id);
            }
        }
    }

    /// A cheap statement whose single integer result changes whenever
    /// another connection commits, if the backend has one.
    pub(crate) fn external_change_probe(self) -> Option<&'static str> {
        match self {
            // 2–5 µs here against ~60 ns for a cached count and ~10 µs for
            // a COUNT over one collection (docs/performance.md): worth it in
            // front of facets, not of every cheap count, hence opt-in.
            Backend::Sqlite => Some("PRAGMA data_version"),
        }
    }

    /// The schema migrations of this backend, in order; index + 1 is the
    /// schema version each one produces.
    pub(crate) fn migrations(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[include_str!("migrations/sqlite/0001_catalogue.sql")],
        }
    }
}
