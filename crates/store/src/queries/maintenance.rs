//! Statements of `catalog/maintenance.rs`: verifying and recomputing the
//! stored counters and copies.

use sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Order, Query, Value};

use super::build::sub;
use super::schema::{
    ArtifactTags, Artifacts as A, CollectionGroups as G, CollectionMembers as M, Collections as C,
    GroupMembers, Tags,
};
use crate::backend::Backend;

/// The maintenance statements.
pub(crate) struct MaintenanceSql {
    /// → name, artifact_count, counted members, group_count, counted groups
    pub verify_collections: String,
    /// → id, type, name, tag_names, then one tag name per link (NULL for an
    /// untagged artifact), by artifact id
    pub verify_tag_names: String,
    /// → collection name, group name, artifact_count, counted members
    pub verify_groups: String,
    /// recomputes every collection's artifact_count and group_count
    pub recount_collections: String,
    /// recomputes every group's artifact_count
    pub recount_groups: String,
}

impl MaintenanceSql {
    pub(crate) fn new(b: Backend) -> Self {
        MaintenanceSql {
            verify_collections: {
                let members = Alias::new("m");
                let groups = Alias::new("g");
                let n = Alias::new("n");
                b.sql(
                    Query::select()
                        .columns([(C::Table, C::Name), (C::Table, C::ArtifactCount)])
                        .expr(Func::coalesce([
                            Expr::col((members.clone(), n.clone())),
                            Expr::Constant(Value::from(0i64)),
                        ]))
                        .column((C::Table, C::GroupCount))
                        .expr(Func::coalesce([
                            Expr::col((groups.clone(), n.clone())),
                            Expr::Constant(Value::from(0i64)),
                        ]))
                        .from(C::Table)
                        .join_subquery(
                            JoinType::LeftJoin,
                            Query::select()
                                .column(M::CollectionId)
                                .expr_as(Func::count(Expr::col(Asterisk)), n.clone())
                                .from(M::Table)
                                .group_by_col(M::CollectionId)
                                .to_owned(),
                            members.clone(),
                            Expr::col((members, M::CollectionId)).equals((C::Table, C::Id)),
                        )
                        .join_subquery(
                            JoinType::LeftJoin,
                            Query::select()
                                .column(G::CollectionId)
                                .expr_as(Func::count(Expr::col(Asterisk)), n)
                                .from(G::Table)
                                .group_by_col(G::CollectionId)
                                .to_owned(),
                            groups.clone(),
                            Expr::col((groups, G::CollectionId)).equals((C::Table, C::Id)),
                        )
                        .order_by((C::Table, C::Name), Order::Asc),
                )
            },
            verify_tag_names: b.sql(
                Query::select()
                    .columns([
                        (A::Table, A::Id),
                        (A::Table, A::Type),
                        (A::Table, A::Name),
                        (A::Table, A::TagNames),
                    ])
                    .column((Tags::Table, Tags::Name))
                    .from(A::Table)
                    .left_join(
                        ArtifactTags::Table,
                        Expr::col((ArtifactTags::Table, ArtifactTags::ArtifactId))
                            .equals((A::Table, A::Id)),
                    )
                    .left_join(
                        Tags::Table,
                        Expr::col((Tags::Table, Tags::Id))
                            .equals((ArtifactTags::Table, ArtifactTags::TagId)),
                    )
                    .order_by((A::Table, A::Id), Order::Asc),
            ),
            verify_groups: {
                let members = Alias::new("m");
                let n = Alias::new("n");
                b.sql(
                    Query::select()
                        .column((C::Table, C::Name))
                        .columns([(G::Table, G::Name), (G::Table, G::ArtifactCount)])
                        .expr(Func::coalesce([
                            Expr::col((members.clone(), n.clone())),
                            Expr::Constant(Value::from(0i64)),
                        ]))
                        .from(G::Table)
                        .inner_join(
                            C::Table,
                            Expr::col((C::Table, C::Id)).equals((G::Table, G::CollectionId)),
                        )
                        .join_subquery(
                            JoinType::LeftJoin,
                            Query::select()
                                .column(GroupMembers::GroupId)
                                .expr_as(Func::count(Expr::col(Asterisk)), n)
                                .from(GroupMembers::Table)
                                .group_by_col(GroupMembers::GroupId)
                                .to_owned(),
                            members.clone(),
                            Expr::col((members, GroupMembers::GroupId)).equals((G::Table, G::Id)),
                        )
                        .order_by((C::Table, C::Name), Order::Asc)
                        .order_by((G::Table, G::Name), Order::Asc),
                )
            },
            recount_collections: b.sql(
                Query::update()
                    .table(C::Table)
                    .value(
                        C::ArtifactCount,
                        sub(Query::select()
                            .expr(Func::count(Expr::col(Asterisk)))
                            .from(M::Table)
                            .and_where(
                                Expr::col((M::Table, M::CollectionId)).equals((C::Table, C::Id)),
                            )
                            .to_owned()),
                    )
                    .value(
                        C::GroupCount,
                        sub(Query::select()
                            .expr(Func::count(Expr::col(Asterisk)))
                            .from(G::Table)
                            .and_where(
                                Expr::col((G::Table, G::CollectionId)).equals((C::Table, C::Id)),
                            )
                            .to_owned()),
                    ),
            ),
            recount_groups: b.sql(
                Query::update().table(G::Table).value(
                    G::ArtifactCount,
                    sub(Query::select()
                        .expr(Func::count(Expr::col(Asterisk)))
                        .from(GroupMembers::Table)
                        .and_where(
                            Expr::col((GroupMembers::Table, GroupMembers::GroupId))
                                .equals((G::Table, G::Id)),
                        )
                        .to_owned()),
                ),
            ),
        }
    }
}
