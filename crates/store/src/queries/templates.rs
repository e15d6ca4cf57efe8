//! Statements of `catalog/templates.rs`: templates, their entities and
//! declared variables.

use sea_query::{Asterisk, Expr, ExprTrait, Func, Order, Query};

use super::build::{
    delete_where, insert_into, p, select_where, sub, update_where, with_file_outline, with_files,
};
use super::schema::{
    ArtifactFiles as F, Artifacts as A, Blobs, CollectionMembers as M, Collections as C,
    TemplateEntities as E, TemplateVariables as TV, Templates as T,
};
use crate::backend::Backend;

/// Where the file columns ([`FileColumns`](super::build::FileColumns)) of
/// [`TemplateSql::entities`] start.
pub(crate) const ENTITY_FILES: usize = 5;

/// Where the file columns of [`TemplateSql::members`] start.
pub(crate) const MEMBER_FILES: usize = 4;

/// The template statements.
pub(crate) struct TemplateSql {
    /// name → id
    pub id: String,
    /// name, description, collection id, follows collection, created_at,
    /// updated_at → the new id
    pub insert: String,
    /// description, collection id, follows collection, updated_at, id
    pub update: String,
    /// id
    pub delete: String,
    /// template id
    pub entities_delete: String,
    /// template id, artifact id, deploy order, required
    pub entity_insert: String,
    /// template id
    pub variables_delete: String,
    /// template id, position, name, required, default, description
    pub variable_insert: String,
    /// name → id, name, description, collection name, follows collection,
    /// collection id, then per declared variable (NULL when none): name,
    /// required, default, description
    pub head: String,
    /// template id → deploy order, required, type, name, description, then
    /// the file columns from [`ENTITY_FILES`]: one row per file, in deploy
    /// order and by path
    pub entities: String,
    /// [`entities`](Self::entities) with each blob's size in place of its
    /// content
    pub entities_outline: String,
    /// blob hash → content
    pub blob_content: String,
    /// collection id → artifact id, type, name, description, then the file
    /// columns from [`MEMBER_FILES`]: the entities of a template following
    /// the collection, one row per file, in the artifact listing's name
    /// order (name, then id: the order a snapshot is saved in) and by path
    pub members: String,
    /// [`members`](Self::members) with each blob's size in place of its
    /// content
    pub members_outline: String,
    /// collection id → name of each template following it, by name
    pub following: String,
    /// → name, description, collection name, follows collection, entity
    /// count (a following template's is its collection's member count), by
    /// name
    pub list: String,
}

impl TemplateSql {
    pub(crate) fn new(b: Backend) -> Self {
        let with_collection = |q: &mut sea_query::SelectStatement| {
            q.left_join(
                C::Table,
                Expr::col((C::Table, C::Id)).equals((T::Table, T::CollectionId)),
            );
        };
        let entities =
            |files: fn(&mut sea_query::SelectStatement) -> &mut sea_query::SelectStatement| {
                b.sql(
                    files(
                        Query::select()
                            .columns([(E::Table, E::DeployOrder), (E::Table, E::Required)])
                            .columns([
                                (A::Table, A::Type),
                                (A::Table, A::Name),
                                (A::Table, A::Description),
                            ])
                            .from(E::Table)
                            .inner_join(
                                A::Table,
                                Expr::col((A::Table, A::Id)).equals((E::Table, E::ArtifactId)),
                            ),
                    )
                    .and_where(Expr::col((E::Table, E::TemplateId)).eq(p()))
                    .order_by((E::Table, E::DeployOrder), Order::Asc)
                    .order_by((F::Table, F::Path), Order::Asc),
                )
            };
        let members =
            |files: fn(&mut sea_query::SelectStatement) -> &mut sea_query::SelectStatement| {
                b.sql(
                    files(
                        Query::select()
                            .columns([
                                (A::Table, A::Id),
                                (A::Table, A::Type),
                                (A::Table, A::Name),
                                (A::Table, A::Description),
                            ])
                            .from(M::Table)
                            .inner_join(
                                A::Table,
                                Expr::col((A::Table, A::Id)).equals((M::Table, M::ArtifactId)),
                            ),
                    )
                    .and_where(Expr::col((M::Table, M::CollectionId)).eq(p()))
                    .order_by((A::Table, A::Name), Order::Asc)
                    .order_by((A::Table, A::Id), Order::Asc)
                    .order_by((F::Table, F::Path), Order::Asc),
                )
            };
        TemplateSql {
            id: select_where(b, T::Table, T::Id, Expr::col(T::Name).eq(p())),
            insert: {
                let mut q = insert_into(
                    T::Table,
                    &[
                        T::Name,
                        T::Description,
                        T::CollectionId,
                        T::FollowsCollection,
                        T::CreatedAt,
                        T::UpdatedAt,
                    ],
                    &[],
                );
                b.return_new_id(&mut q, T::Id);
                b.sql(&q)
            },
            update: update_where(
                b,
                T::Table,
                &[
                    T::Description,
                    T::CollectionId,
                    T::FollowsCollection,
                    T::UpdatedAt,
                ],
                T::Id,
            ),
            delete: delete_where(b, T::Table, &[T::Id]),
            entities_delete: delete_where(b, E::Table, &[E::TemplateId]),
            entity_insert: b.sql(&insert_into(
                E::Table,
                &[E::TemplateId, E::ArtifactId, E::DeployOrder, E::Required],
                &[],
            )),
            variables_delete: delete_where(b, TV::Table, &[TV::TemplateId]),
            variable_insert: b.sql(&insert_into(
                TV::Table,
                &[
                    TV::TemplateId,
                    TV::Position,
                    TV::Name,
                    TV::Required,
                    TV::DefaultValue,
                    TV::Description,
                ],
                &[],
            )),
            head: {
                let mut q = Query::select();
                q.columns([
                    (T::Table, T::Id),
                    (T::Table, T::Name),
                    (T::Table, T::Description),
                ])
                .column((C::Table, C::Name))
                .columns([
                    (T::Table, T::FollowsCollection),
                    (T::Table, T::CollectionId),
                ])
                .columns([
                    (TV::Table, TV::Name),
                    (TV::Table, TV::Required),
                    (TV::Table, TV::DefaultValue),
                    (TV::Table, TV::Description),
                ])
                .from(T::Table);
                with_collection(&mut q);
                b.sql(
                    q.left_join(
                        TV::Table,
                        Expr::col((TV::Table, TV::TemplateId)).equals((T::Table, T::Id)),
                    )
                    .and_where(Expr::col((T::Table, T::Name)).eq(p()))
                    .order_by((TV::Table, TV::Position), Order::Asc),
                )
            },
            entities: entities(with_files),
            entities_outline: entities(with_file_outline),
            blob_content: select_where(
                b,
                Blobs::Table,
                Blobs::Content,
                Expr::col(Blobs::Hash).eq(p()),
            ),
            members: members(with_files),
            members_outline: members(with_file_outline),
            following: b.sql(
                Query::select()
                    .column(T::Name)
                    .from(T::Table)
                    .and_where(Expr::col(T::CollectionId).eq(p()))
                    .and_where(Expr::col(T::FollowsCollection))
                    .order_by(T::Name, Order::Asc),
            ),
            list: {
                let entity_count = Expr::case(
                    Expr::col((T::Table, T::FollowsCollection)),
                    sub(Query::select()
                        .expr(Func::count(Expr::col(Asterisk)))
                        .from(M::Table)
                        .and_where(
                            Expr::col((M::Table, M::CollectionId))
                                .equals((T::Table, T::CollectionId)),
                        )
                        .to_owned()),
                )
                .finally(sub(Query::select()
                    .expr(Func::count(Expr::col(Asterisk)))
                    .from(E::Table)
                    .and_where(Expr::col((E::Table, E::TemplateId)).equals((T::Table, T::Id)))
                    .to_owned()));
                let mut q = Query::select();
                q.columns([(T::Table, T::Name), (T::Table, T::Description)])
                    .column((C::Table, C::Name))
                    .column((T::Table, T::FollowsCollection))
                    .expr(entity_count)
                    .from(T::Table);
                with_collection(&mut q);
                b.sql(q.order_by((T::Table, T::Name), Order::Asc))
            },
        }
    }
}
