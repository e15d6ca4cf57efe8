//! The backend seam: everything that differs between SQL dialects lives here.
//!
//! Query *shapes* are written once, with sea-query, in `queries.rs`; this
//! module decides how they are printed (`build`), how an ID list is bound
//! (`id_list`), how a substring search is spelt (`contains`) and which
//! migration scripts create the schema. A PostgreSQL backend adds a variant to
//! [`Backend`] and an arm to each `match` below, and nothing else in the query
//! code changes.

use sea_query::{
    DeleteStatement, Expr, ExprTrait, Func, InsertStatement, LikeExpr, Query, SelectStatement,
    SqliteQueryBuilder, UpdateStatement, Value, Values,
};

/// `%needle%` with LIKE's wildcards escaped by `\\`: the search is for the
/// text as typed.
pub(crate) fn like_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
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

    /// The parameter value that carries a list of row IDs for [`Backend::in_id_list`].
    ///
    /// One parameter, whatever the list length, so the statement text (and
    /// its prepared plan) does not change with the page size.
    pub(crate) fn id_list(self, ids: &[i64]) -> Value {
        match self {
            // SQLite has no array type: a JSON array read back with
            // `json_each` (built into the bundled SQLite) is one bound value.
            Backend::Sqlite => {
                let mut json = String::with_capacity(ids.len() * 8 + 2);
                json.push('[');
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        json.push(',');
                    }
                    json.push_str(&id.to_string());
                }
                json.push(']');
                Value::String(Some(json))
            }
        }
    }

    /// `column IN <the ids bound as one parameter>`.
    pub(crate) fn in_id_list(self, column: Expr, ids: Value) -> Expr {
        match self {
            Backend::Sqlite => column.in_subquery(
                Query::select()
                    .column("value")
                    .from_function(Func::cust("json_each").arg(ids), "ids")
                    .to_owned(),
            ),
        }
    }

    /// Substring match on a text column, ASCII case-insensitive.
    pub(crate) fn contains(self, column: Expr, needle: &str) -> Expr {
        let pattern = like_pattern(needle);
        match self {
            // SQLite's LIKE is ASCII case-insensitive already; PostgreSQL
            // will need ILIKE here.
            Backend::Sqlite => column.like(LikeExpr::new(pattern).escape('\\')),
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
