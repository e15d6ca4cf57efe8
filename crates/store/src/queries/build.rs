//! Small builders for the statement shapes that recur across areas (select
//! one column by a key, delete or update by key columns, insert with an
//! optional `ON CONFLICT DO NOTHING`, the file columns), so each statement
//! file states only what differs.

use sea_query::{
    Expr, ExprTrait, Iden, InsertStatement, IntoIden, OnConflict, Query, SelectStatement,
    SubQueryStatement,
};

use crate::backend::Backend;

/// The columns of one stored file, in the order [`with_files`] appends
/// them; a statement's file columns start at its own offset
/// (`FULL_FILES`, `ENTITY_FILES`). Shared so `Catalog::artifact` and
/// `Catalog::load_template` decode a file row with one function.
pub(crate) struct FileColumns;

impl FileColumns {
    pub(crate) const PATH: usize = 0;
    pub(crate) const EXECUTABLE: usize = 1;
    pub(crate) const VERBATIM: usize = 2;
    pub(crate) const HASH: usize = 3;
    pub(crate) const CONTENT: usize = 4;
}

/// Appends an artifact's file columns ([`FileColumns`]) to `q`, whose
/// `artifacts` row is already joined: a LEFT JOIN, so an artifact without
/// files still yields its row, with NULL file columns.
pub(crate) fn with_files(q: &mut SelectStatement) -> &mut SelectStatement {
    use super::schema::{ArtifactFiles as F, Artifacts as A, Blobs};
    q.columns([
        (F::Table, F::Path),
        (F::Table, F::Executable),
        (F::Table, F::Verbatim),
    ])
    .columns([(Blobs::Table, Blobs::Hash), (Blobs::Table, Blobs::Content)])
    .left_join(
        F::Table,
        Expr::col((F::Table, F::ArtifactId)).equals((A::Table, A::Id)),
    )
    .left_join(
        Blobs::Table,
        Expr::col((Blobs::Table, Blobs::Hash)).equals((F::Table, F::BlobHash)),
    )
}

/// [`with_files`] with the blob's size where its content would be: the
/// same columns, in the same places, without reading any content.
pub(crate) fn with_file_outline(q: &mut SelectStatement) -> &mut SelectStatement {
    use super::schema::{ArtifactFiles as F, Artifacts as A, Blobs};
    q.columns([
        (F::Table, F::Path),
        (F::Table, F::Executable),
        (F::Table, F::Verbatim),
    ])
    .columns([(Blobs::Table, Blobs::Hash), (Blobs::Table, Blobs::Size)])
    .left_join(
        F::Table,
        Expr::col((F::Table, F::ArtifactId)).equals((A::Table, A::Id)),
    )
    .left_join(
        Blobs::Table,
        Expr::col((Blobs::Table, Blobs::Hash)).equals((F::Table, F::BlobHash)),
    )
}

/// A placeholder value: statements are printed with these and bound later.
pub(crate) fn p() -> Expr {
    Expr::val(0i64)
}

pub(crate) fn sub(select: SelectStatement) -> Expr {
    Expr::from(SubQueryStatement::SelectStatement(select))
}

/// `SELECT column FROM table WHERE key`
pub(crate) fn select_where(
    b: Backend,
    table: impl IntoIden,
    column: impl IntoIden,
    key: Expr,
) -> String {
    b.sql(Query::select().column(column).from(table).and_where(key))
}

/// `DELETE FROM table WHERE c1 = ? AND …`
pub(crate) fn delete_where<T: Iden + Copy + 'static>(b: Backend, table: T, key: &[T]) -> String {
    let mut q = Query::delete();
    q.from_table(table);
    for &c in key {
        q.and_where(Expr::col(c).eq(p()));
    }
    b.sql(&q)
}

/// `UPDATE table SET s1 = ?, … WHERE key = ?` (parameters: the set values,
/// then the key).
pub(crate) fn update_where<T: Iden + Copy + 'static>(
    b: Backend,
    table: T,
    set: &[T],
    key: T,
) -> String {
    let mut q = Query::update();
    q.table(table);
    for &c in set {
        q.value(c, p());
    }
    b.sql(q.and_where(Expr::col(key).eq(p())))
}

/// `INSERT INTO table (c…) VALUES (?…)`, with `ON CONFLICT (k…) DO NOTHING`
/// unless `conflict` is empty.
pub(crate) fn insert_into<T: Iden + Copy + 'static>(
    table: T,
    cols: &[T],
    conflict: &[T],
) -> InsertStatement {
    let mut q = Query::insert();
    q.into_table(table)
        .columns(cols.iter().copied())
        .values_panic(cols.iter().map(|_| p()));
    if !conflict.is_empty() {
        q.on_conflict(
            OnConflict::columns(conflict.iter().copied())
                .do_nothing()
                .to_owned(),
        );
    }
    q
}
