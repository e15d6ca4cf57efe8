//! The backend seam: everything that differs between SQL dialects lives here.
//!
//! Query *shapes* are written once, with sea-query, in `queries/`; this
//! module decides how they are printed (`build_for`), how an ID list is bound
//! (`in_id_list`), how a substring search is spelt (`contains`) and which
//! migration scripts create the schema. Each backend is a variant of
//! [`Backend`] with an arm in each `match` below; nothing else in the query
//! code knows which dialect it prints.

use sea_query::{
    DeleteStatement, Expr, ExprTrait, Func, InsertStatement, IntoIden, PostgresQueryBuilder, Query,
    SelectStatement, SqliteQueryBuilder, UpdateStatement, Value, Values,
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
    /// PostgreSQL through the `postgres` crate. The dialect is always
    /// compiled (so its SQL is tested everywhere); opening a PostgreSQL
    /// catalogue needs this crate's `postgres` feature.
    Postgres,
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
                    Backend::Postgres => self.build(PostgresQueryBuilder),
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
    /// bound by the connection layer (`param.rs`): SQLite has no array
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
            // One `bigint[]` parameter: the plan is the same for 1 or 500 ids.
            Backend::Postgres => column.eq(Func::cust("ANY").arg(Expr::val(0i64))),
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
            // The same spelling: `strpos` is PostgreSQL's `instr`, and
            // `lower` on the `COLLATE "C"` columns folds ASCII only, like
            // SQLite's. ILIKE would need wildcard escaping of the needle.
            Backend::Postgres => Expr::from(
                Func::cust("strpos")
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
            // A server has no "last insert id" of the session worth a second
            // round trip: the INSERT returns it (no row on conflict).
            Backend::Postgres => {
                insert.returning_col(id);
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
            // No cheap equivalent: other clients' writes show within the TTL.
            Backend::Postgres => None,
        }
    }

    /// The schema migrations of this backend, in order; index + 1 is the
    /// schema version each one produces.
    pub(crate) fn migrations(self) -> &'static [&'static str] {
        match self {
            Backend::Sqlite => &[
                include_str!("migrations/sqlite/0001_catalogue.sql"),
                include_str!("migrations/sqlite/0002_version_history.sql"),
                include_str!("migrations/sqlite/0003_collection_metadata.sql"),
                include_str!("migrations/sqlite/0004_settings.sql"),
                include_str!("migrations/sqlite/0005_following_templates.sql"),
                include_str!("migrations/sqlite/0006_listing_index.sql"),
                include_str!("migrations/sqlite/0007_listing_indexes.sql"),
            ],
            Backend::Postgres => &[
                include_str!("migrations/postgres/0001_catalogue.sql"),
                include_str!("migrations/postgres/0002_version_history.sql"),
                include_str!("migrations/postgres/0003_collection_metadata.sql"),
                include_str!("migrations/postgres/0004_settings.sql"),
                include_str!("migrations/postgres/0005_following_templates.sql"),
                include_str!("migrations/postgres/0006_listing_index.sql"),
                include_str!("migrations/postgres/0007_listing_indexes.sql"),
            ],
        }
    }

    /// Whether a listing page and its rows' collections come in *one*
    /// statement (the page as a subquery joined to the memberships) for
    /// every shape rather than two in a read transaction. SQLite: only the
    /// shapes it reads in index order ([`Shape::streams`](crate::queries::Shape::streams)); the join over a
    /// page in a sorting shape would join every match before the sort.
    /// PostgreSQL: one, since every statement and every
    /// BEGIN/COMMIT is a network round trip (four became one: ~1.2 ms →
    /// ~0.3 ms per page here), and one statement is one snapshot without a
    /// transaction.
    pub(crate) fn joins_page_collections(self) -> bool {
        match self {
            Backend::Sqlite => false,
            Backend::Postgres => true,
        }
    }

    /// Whether listing statements carry a bound `LIMIT` (the last
    /// parameter). SQLite: no, it re-prepares statements with a bound LIMIT
    /// and produces rows lazily anyway (see `queries::page_statement`).
    /// PostgreSQL: yes, the server sends every row a statement produces, and
    /// the planner picks an ordered index scan only when it knows the limit.
    pub(crate) fn binds_limit(self) -> bool {
        match self {
            Backend::Sqlite => false,
            Backend::Postgres => true,
        }
    }
}
