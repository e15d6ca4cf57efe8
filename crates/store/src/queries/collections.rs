//! Statements of `catalog/collections.rs`: collections, their groups and
//! memberships.

use sea_query::{
    Asterisk, DynIden, Expr, ExprTrait, Func, IntoIden, Order, Query, SelectStatement,
};

use super::build::{delete_where, insert_into, p, select_where, sub, update_where};
use super::schema::{
    CollectionGroups as G, CollectionMembers as M, Collections as C, GroupMembers,
};
use crate::backend::Backend;
use crate::model::CountMode;

/// The collection and group statements.
pub(crate) struct CollectionSql {
    /// name → id
    pub id: String,
    /// name, description, created_at (nothing when the name exists)
    pub insert: String,
    /// name, id
    pub rename: String,
    /// id
    pub delete: String,
    /// collection id, artifact id (nothing when a member already)
    pub member_insert: String,
    /// collection id, artifact id
    pub member_delete: String,
    /// [limit] → name, description, artifact count, group count
    pub first_page: String,
    /// name, [limit] → name, description, artifact count, group count
    pub page_after: String,
    /// name → id, name, description, artifact count, group count
    pub row: String,
    /// collection id → name, position, artifact count (by position, name)
    pub groups_of: String,
    /// name → artifact count
    pub count: String,
    /// collection id, name → group id
    pub group_id: String,
    /// collection id, name, position (nothing when the name exists)
    pub group_insert: String,
    /// group id
    pub group_delete: String,
    /// group id, artifact id (nothing when a member already)
    pub group_member_insert: String,
    /// group id, artifact id
    pub group_member_delete: String,
}

/// `(SELECT count(*) FROM table WHERE table.column = outer)`
fn counted(table: DynIden, column: DynIden, outer: (DynIden, DynIden)) -> Expr {
    sub(Query::select()
        .expr(Func::count(Expr::col(Asterisk)))
        .from(table.clone())
        .and_where(Expr::col((table, column)).equals(outer))
        .to_owned())
}

impl CollectionSql {
    pub(crate) fn new(b: Backend, mode: CountMode) -> Self {
        // Where each count comes from: the trigger-kept column, or (in
        // CountMode::Query, where the counting triggers are off) a count of
        // the rows it summarises, an index range scan per row.
        let artifact_count = || match mode {
            CountMode::Triggers => Expr::col((C::Table, C::ArtifactCount)),
            CountMode::Query => counted(
                M::Table.into_iden(),
                M::CollectionId.into_iden(),
                (C::Table.into_iden(), C::Id.into_iden()),
            ),
        };
        let group_count = || match mode {
            CountMode::Triggers => Expr::col((C::Table, C::GroupCount)),
            CountMode::Query => counted(
                G::Table.into_iden(),
                G::CollectionId.into_iden(),
                (C::Table.into_iden(), C::Id.into_iden()),
            ),
        };
        let group_artifact_count = || match mode {
            CountMode::Triggers => Expr::col((G::Table, G::ArtifactCount)),
            CountMode::Query => counted(
                GroupMembers::Table.into_iden(),
                GroupMembers::GroupId.into_iden(),
                (G::Table.into_iden(), G::Id.into_iden()),
            ),
        };
        let limited = |mut q: SelectStatement| {
            if b.binds_limit() {
                q.limit(0);
            }
            q
        };
        let page = |after: bool| {
            let mut q = Query::select();
            q.columns([(C::Table, C::Name), (C::Table, C::Description)])
                .expr(artifact_count())
                .expr(group_count())
                .from(C::Table);
            if after {
                q.and_where(Expr::col((C::Table, C::Name)).gt(p()));
            }
            b.sql(&limited(
                q.order_by((C::Table, C::Name), Order::Asc).to_owned(),
            ))
        };
        CollectionSql {
            id: select_where(b, C::Table, C::Id, Expr::col(C::Name).eq(p())),
            insert: b.sql(&insert_into(
                C::Table,
                &[C::Name, C::Description, C::CreatedAt],
                &[C::Name],
            )),
            rename: update_where(b, C::Table, &[C::Name], C::Id),
            delete: delete_where(b, C::Table, &[C::Id]),
            member_insert: b.sql(&insert_into(
                M::Table,
                &[M::CollectionId, M::ArtifactId],
                &[M::CollectionId, M::ArtifactId],
            )),
            member_delete: delete_where(b, M::Table, &[M::CollectionId, M::ArtifactId]),
            first_page: page(false),
            page_after: page(true),
            row: b.sql(
                Query::select()
                    .columns([
                        (C::Table, C::Id),
                        (C::Table, C::Name),
                        (C::Table, C::Description),
                    ])
                    .expr(artifact_count())
                    .expr(group_count())
                    .from(C::Table)
                    .and_where(Expr::col((C::Table, C::Name)).eq(p())),
            ),
            groups_of: b.sql(
                Query::select()
                    .columns([(G::Table, G::Name), (G::Table, G::Position)])
                    .expr(group_artifact_count())
                    .from(G::Table)
                    .and_where(Expr::col((G::Table, G::CollectionId)).eq(p()))
                    .order_by((G::Table, G::Position), Order::Asc)
                    .order_by((G::Table, G::Name), Order::Asc),
            ),
            count: b.sql(
                Query::select()
                    .expr(artifact_count())
                    .from(C::Table)
                    .and_where(Expr::col((C::Table, C::Name)).eq(p())),
            ),
            group_id: select_where(
                b,
                G::Table,
                G::Id,
                Expr::col(G::CollectionId)
                    .eq(p())
                    .and(Expr::col(G::Name).eq(p())),
            ),
            group_insert: b.sql(&insert_into(
                G::Table,
                &[G::CollectionId, G::Name, G::Position],
                &[G::CollectionId, G::Name],
            )),
            group_delete: delete_where(b, G::Table, &[G::Id]),
            group_member_insert: b.sql(&insert_into(
                GroupMembers::Table,
                &[GroupMembers::GroupId, GroupMembers::ArtifactId],
                &[GroupMembers::GroupId, GroupMembers::ArtifactId],
            )),
            group_member_delete: delete_where(
                b,
                GroupMembers::Table,
                &[GroupMembers::GroupId, GroupMembers::ArtifactId],
            ),
        }
    }
}
