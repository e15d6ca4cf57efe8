//! Every SQL statement of the catalogue, written once with sea-query.
//!
//! Fixed-shape statements are printed once per [`Backend`] when a catalogue
//! opens ([`Queries::new`]) and bound with plain parameters at each call:
//! building a statement costs microseconds, a listing page's whole budget is
//! about a hundred. The artifact listing and facets change shape with their
//! filters; [`page_statement`] and friends build them, and the catalogue keeps
//! the printed text per shape (see `catalog.rs`).
//!
//! Parameter order is the order in which values appear in each statement; the
//! comment above each field lists it.

use sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, Iden, JoinType, OnConflict, Order, Query,
    SelectStatement, SubQueryStatement, Value,
};

use crate::backend::{Backend, search_param};
use crate::catalog::CountMode;
use crate::model::ArtifactSort;

#[derive(Iden, Clone, Copy)]
pub(crate) enum Artifacts {
    Table,
    Id,
    Type,
    Name,
    Description,
    Source,
    Digest,
    TagNames,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Blobs {
    Table,
    Hash,
    Size,
    Content,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ArtifactFiles {
    Table,
    ArtifactId,
    Path,
    BlobHash,
    Executable,
    Verbatim,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ArtifactVersions {
    Table,
    ArtifactId,
    Version,
    Digest,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Collections {
    Table,
    Id,
    Name,
    Description,
    ArtifactCount,
    GroupCount,
    CreatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum CollectionMembers {
    Table,
    CollectionId,
    ArtifactId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum CollectionGroups {
    Table,
    Id,
    CollectionId,
    Name,
    Position,
    ArtifactCount,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum GroupMembers {
    Table,
    GroupId,
    ArtifactId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Tags {
    Table,
    Id,
    Name,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum ArtifactTags {
    Table,
    ArtifactId,
    TagId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum Templates {
    Table,
    Id,
    Name,
    Description,
    CollectionId,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum TemplateEntities {
    Table,
    TemplateId,
    ArtifactId,
    DeployOrder,
    Required,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum TemplateVariables {
    Table,
    TemplateId,
    Position,
    Name,
    Required,
    DefaultValue,
    Description,
}

/// A placeholder value: statements are printed with these and bound later.
pub(crate) fn p() -> Expr {
    Expr::val(0i64)
}

fn sub(select: SelectStatement) -> Expr {
    Expr::from(SubQueryStatement::SelectStatement(select))
}

/// The printed text of every fixed-shape statement.
pub(crate) struct Queries {
    /// type, name → id
    pub artifact_id: String,
    /// type, name → id, digest, description, source
    pub artifact_head: String,
    /// type, name, description, source, digest, tag_names, created_at,
    /// updated_at → the new id (see `Backend::return_new_id`; nothing is
    /// inserted when the key exists)
    pub artifact_insert: String,
    /// description, source, digest, tag_names, updated_at, id
    pub artifact_update: String,
    /// tag_names, id
    pub artifact_tag_names: String,
    /// id
    pub artifact_delete: String,
    /// type, name → id, description, source, created_at, updated_at, digest,
    /// version, path, executable, verbatim, hash, content (one row per file)
    pub artifact_full: String,
    /// type, name → version, digest, created_at
    pub artifact_versions: String,
    /// artifact id → template name
    pub templates_using: String,
    /// hash, size, content
    pub blob_insert: String,
    /// artifact id
    pub files_delete: String,
    /// artifact id, path, hash, executable, verbatim
    pub file_insert: String,
    /// artifact id, digest → version
    pub version_find: String,
    /// artifact id → max version (0 if none)
    pub version_max: String,
    /// artifact id, version, digest, created_at
    pub version_insert: String,
    /// artifact id → tag name
    pub tags_of: String,
    /// artifact id
    pub artifact_tags_delete: String,
    /// name → id
    pub tag_find: String,
    /// name → the new id (see `Backend::return_new_id`; nothing is inserted
    /// when a concurrent writer created the tag first)
    pub tag_insert: String,
    /// artifact id, tag id (no-op when present)
    pub artifact_tag_insert: String,
    /// artifact id, tag id
    pub artifact_tag_delete: String,
    /// → name, count
    pub tag_counts: String,
    /// name → id
    pub collection_id: String,
    /// name, description, created_at (no-op when the name exists)
    pub collection_insert: String,
    /// new name, id
    pub collection_rename: String,
    /// id
    pub collection_delete: String,
    /// collection id, artifact id (no-op when present)
    pub member_insert: String,
    /// collection id, artifact id
    pub member_delete: String,
    /// → name, description, artifact_count, group_count, by name (a bound
    /// LIMIT only where `Backend::binds_limit`: see [`page_statement`])
    pub collections_first: String,
    /// after name (, limit) → same
    pub collections_after: String,
    /// name → id, name, description, artifact_count, group_count
    pub collection_row: String,
    /// collection id → name, position, artifact_count
    pub groups_of: String,
    /// name → artifact_count
    pub collection_count: String,
    /// collection id, name → id
    pub group_id: String,
    /// collection id, name, position (no-op when the name exists)
    pub group_insert: String,
    /// id
    pub group_delete: String,
    /// group id, artifact id (no-op when present)
    pub group_member_insert: String,
    /// group id, artifact id
    pub group_member_delete: String,
    /// name → id
    pub template_id: String,
    /// name, description, collection id, created_at, updated_at → the new
    /// id (see `Backend::return_new_id`)
    pub template_insert: String,
    /// description, collection id, updated_at, id
    pub template_update: String,
    /// id
    pub template_delete: String,
    /// template id
    pub entities_delete: String,
    /// template id, artifact id, deploy_order, required
    pub entity_insert: String,
    /// template id
    pub variables_delete: String,
    /// template id, position, name, required, default, description
    pub variable_insert: String,
    /// name → id, name, description, collection, var name, required, default, var description
    pub template_head: String,
    /// template id → deploy_order, required, type, name, description, path,
    /// executable, verbatim, hash, content
    pub template_entities: String,
    /// → name, description, collection, entity count
    pub templates_list: String,
    /// page ids → artifact id, collection name, artifact_count
    /// ([`CountMode::Query`]: the collection id instead of the count)
    pub page_collections: String,
    /// collection ids → collection id, member count ([`CountMode::Query`])
    pub page_counts: String,
    /// → collection, stored artifacts, counted, stored groups, counted
    pub verify_collections: String,
    /// → artifact id, type, name, stored tag_names, one linked tag name (or
    /// NULL) per row, by artifact id
    pub verify_tag_names: String,
    /// → collection, group, stored, counted
    pub verify_groups: String,
    /// (no parameters)
    pub recount_collections: String,
    /// (no parameters)
    pub recount_groups: String,
}

impl Queries {
    pub(crate) fn new(b: Backend, mode: CountMode) -> Self {
        use ArtifactFiles as F;
        use Artifacts as A;
        use CollectionGroups as G;
        use CollectionMembers as M;
        use Collections as C;

        // Where each count comes from: the trigger-kept column, or (in
        // CountMode::Query, where the counting triggers are off) a count of
        // the rows it summarises, an index range scan per row.
        let counted = |table: sea_query::DynIden,
                       column: sea_query::DynIden,
                       outer: (sea_query::DynIden, sea_query::DynIden)|
         -> Expr {
            sub(Query::select()
                .expr(Func::count(Expr::col(Asterisk)))
                .from(table.clone())
                .and_where(Expr::col((table, column)).equals(outer))
                .to_owned())
        };
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

        let by_key = || {
            Expr::col((A::Table, A::Type))
                .eq(p())
                .and(Expr::col((A::Table, A::Name)).eq(p()))
        };
        let select_id = |table: sea_query::DynIden, id: sea_query::DynIden, key: Expr| {
            b.sql(Query::select().column(id).from(table).and_where(key))
        };

        Queries {
            artifact_id: select_id(A::Table.into_iden(), A::Id.into_iden(), by_key()),
            artifact_head: b.sql(
                Query::select()
                    .columns([A::Id, A::Digest, A::Description, A::Source])
                    .from(A::Table)
                    .and_where(by_key()),
            ),
            artifact_insert: {
                let mut q = Query::insert()
                    .into_table(A::Table)
                    .columns([
                        A::Type,
                        A::Name,
                        A::Description,
                        A::Source,
                        A::Digest,
                        A::TagNames,
                        A::CreatedAt,
                        A::UpdatedAt,
                    ])
                    .values_panic([p(), p(), p(), p(), p(), p(), p(), p()])
                    // New artifacts (the bulk of an import) then cost no
                    // lookup first; a conflict inserts nothing.
                    .on_conflict(
                        OnConflict::columns([A::Type, A::Name])
                            .do_nothing()
                            .to_owned(),
                    )
                    .to_owned();
                b.return_new_id(&mut q, A::Id);
                b.sql(&q)
            },
            artifact_update: b.sql(
                Query::update()
                    .table(A::Table)
                    .value(A::Description, p())
                    .value(A::Source, p())
                    .value(A::Digest, p())
                    .value(A::TagNames, p())
                    .value(A::UpdatedAt, p())
                    .and_where(Expr::col(A::Id).eq(p())),
            ),
            artifact_tag_names: b.sql(
                Query::update()
                    .table(A::Table)
                    .value(A::TagNames, p())
                    .and_where(Expr::col(A::Id).eq(p())),
            ),
            artifact_delete: b.sql(
                Query::delete()
                    .from_table(A::Table)
                    .and_where(Expr::col(A::Id).eq(p())),
            ),
            artifact_full: b.sql(
                Query::select()
                    .columns([
                        (A::Table, A::Id),
                        (A::Table, A::Description),
                        (A::Table, A::Source),
                        (A::Table, A::CreatedAt),
                        (A::Table, A::UpdatedAt),
                        (A::Table, A::Digest),
                    ])
                    .column((ArtifactVersions::Table, ArtifactVersions::Version))
                    .columns([
                        (F::Table, F::Path),
                        (F::Table, F::Executable),
                        (F::Table, F::Verbatim),
                    ])
                    .columns([(Blobs::Table, Blobs::Hash), (Blobs::Table, Blobs::Content)])
                    .from(A::Table)
                    .left_join(
                        ArtifactVersions::Table,
                        Expr::col((ArtifactVersions::Table, ArtifactVersions::ArtifactId))
                            .equals((A::Table, A::Id))
                            .and(
                                Expr::col((ArtifactVersions::Table, ArtifactVersions::Digest))
                                    .equals((A::Table, A::Digest)),
                            ),
                    )
                    .left_join(
                        F::Table,
                        Expr::col((F::Table, F::ArtifactId)).equals((A::Table, A::Id)),
                    )
                    .left_join(
                        Blobs::Table,
                        Expr::col((Blobs::Table, Blobs::Hash)).equals((F::Table, F::BlobHash)),
                    )
                    .and_where(by_key())
                    .order_by((F::Table, F::Path), Order::Asc),
            ),
            artifact_versions: b.sql(
                Query::select()
                    .columns([
                        (ArtifactVersions::Table, ArtifactVersions::Version),
                        (ArtifactVersions::Table, ArtifactVersions::Digest),
                        (ArtifactVersions::Table, ArtifactVersions::CreatedAt),
                    ])
                    .from(ArtifactVersions::Table)
                    .inner_join(
                        A::Table,
                        Expr::col((A::Table, A::Id))
                            .equals((ArtifactVersions::Table, ArtifactVersions::ArtifactId)),
                    )
                    .and_where(by_key())
                    .order_by(
                        (ArtifactVersions::Table, ArtifactVersions::Version),
                        Order::Asc,
                    ),
            ),
            templates_using: b.sql(
                Query::select()
                    .column((Templates::Table, Templates::Name))
                    .from(TemplateEntities::Table)
                    .inner_join(
                        Templates::Table,
                        Expr::col((Templates::Table, Templates::Id))
                            .equals((TemplateEntities::Table, TemplateEntities::TemplateId)),
                    )
                    .and_where(
                        Expr::col((TemplateEntities::Table, TemplateEntities::ArtifactId)).eq(p()),
                    )
                    .order_by((Templates::Table, Templates::Name), Order::Asc),
            ),
            blob_insert: b.sql(
                Query::insert()
                    .into_table(Blobs::Table)
                    .columns([Blobs::Hash, Blobs::Size, Blobs::Content])
                    .values_panic([p(), p(), p()])
                    .on_conflict(OnConflict::column(Blobs::Hash).do_nothing().to_owned()),
            ),
            files_delete: b.sql(
                Query::delete()
                    .from_table(F::Table)
                    .and_where(Expr::col(F::ArtifactId).eq(p())),
            ),
            file_insert: b.sql(
                Query::insert()
                    .into_table(F::Table)
                    .columns([
                        F::ArtifactId,
                        F::Path,
                        F::BlobHash,
                        F::Executable,
                        F::Verbatim,
                    ])
                    .values_panic([p(), p(), p(), p(), p()]),
            ),
            version_find: b.sql(
                Query::select()
                    .column(ArtifactVersions::Version)
                    .from(ArtifactVersions::Table)
                    .and_where(Expr::col(ArtifactVersions::ArtifactId).eq(p()))
                    .and_where(Expr::col(ArtifactVersions::Digest).eq(p())),
            ),
            version_max: b.sql(
                Query::select()
                    .expr(Func::coalesce([
                        Func::max(Expr::col(ArtifactVersions::Version)).into(),
                        Expr::Constant(Value::from(0i64)),
                    ]))
                    .from(ArtifactVersions::Table)
                    .and_where(Expr::col(ArtifactVersions::ArtifactId).eq(p())),
            ),
            version_insert: b.sql(
                Query::insert()
                    .into_table(ArtifactVersions::Table)
                    .columns([
                        ArtifactVersions::ArtifactId,
                        ArtifactVersions::Version,
                        ArtifactVersions::Digest,
                        ArtifactVersions::CreatedAt,
                    ])
                    .values_panic([p(), p(), p(), p()]),
            ),
            tags_of: b.sql(
                Query::select()
                    .column((Tags::Table, Tags::Name))
                    .from(ArtifactTags::Table)
                    .inner_join(
                        Tags::Table,
                        Expr::col((Tags::Table, Tags::Id))
                            .equals((ArtifactTags::Table, ArtifactTags::TagId)),
                    )
                    .and_where(Expr::col((ArtifactTags::Table, ArtifactTags::ArtifactId)).eq(p()))
                    .order_by((Tags::Table, Tags::Name), Order::Asc),
            ),
            artifact_tags_delete: b.sql(
                Query::delete()
                    .from_table(ArtifactTags::Table)
                    .and_where(Expr::col(ArtifactTags::ArtifactId).eq(p())),
            ),
            tag_find: select_id(
                Tags::Table.into_iden(),
                Tags::Id.into_iden(),
                Expr::col(Tags::Name).eq(p()),
            ),
            tag_insert: {
                let mut q = Query::insert()
                    .into_table(Tags::Table)
                    .columns([Tags::Name])
                    .values_panic([p()])
                    .on_conflict(OnConflict::column(Tags::Name).do_nothing().to_owned())
                    .to_owned();
                b.return_new_id(&mut q, Tags::Id);
                b.sql(&q)
            },
            artifact_tag_insert: b.sql(
                Query::insert()
                    .into_table(ArtifactTags::Table)
                    .columns([ArtifactTags::ArtifactId, ArtifactTags::TagId])
                    .values_panic([p(), p()])
                    .on_conflict(
                        OnConflict::columns([ArtifactTags::ArtifactId, ArtifactTags::TagId])
                            .do_nothing()
                            .to_owned(),
                    ),
            ),
            artifact_tag_delete: b.sql(
                Query::delete()
                    .from_table(ArtifactTags::Table)
                    .and_where(Expr::col(ArtifactTags::ArtifactId).eq(p()))
                    .and_where(Expr::col(ArtifactTags::TagId).eq(p())),
            ),
            tag_counts: b.sql(
                Query::select()
                    .column((Tags::Table, Tags::Name))
                    .expr(Func::count(Expr::col((
                        ArtifactTags::Table,
                        ArtifactTags::ArtifactId,
                    ))))
                    .from(Tags::Table)
                    .inner_join(
                        ArtifactTags::Table,
                        Expr::col((ArtifactTags::Table, ArtifactTags::TagId))
                            .equals((Tags::Table, Tags::Id)),
                    )
                    .group_by_columns([(Tags::Table, Tags::Id), (Tags::Table, Tags::Name)])
                    .order_by((Tags::Table, Tags::Name), Order::Asc),
            ),
            collection_id: select_id(
                C::Table.into_iden(),
                C::Id.into_iden(),
                Expr::col(C::Name).eq(p()),
            ),
            collection_insert: b.sql(
                Query::insert()
                    .into_table(C::Table)
                    .columns([C::Name, C::Description, C::CreatedAt])
                    .values_panic([p(), p(), p()])
                    .on_conflict(OnConflict::column(C::Name).do_nothing().to_owned()),
            ),
            collection_rename: b.sql(
                Query::update()
                    .table(C::Table)
                    .value(C::Name, p())
                    .and_where(Expr::col(C::Id).eq(p())),
            ),
            collection_delete: b.sql(
                Query::delete()
                    .from_table(C::Table)
                    .and_where(Expr::col(C::Id).eq(p())),
            ),
            member_insert: b.sql(
                Query::insert()
                    .into_table(M::Table)
                    .columns([M::CollectionId, M::ArtifactId])
                    .values_panic([p(), p()])
                    .on_conflict(
                        OnConflict::columns([M::CollectionId, M::ArtifactId])
                            .do_nothing()
                            .to_owned(),
                    ),
            ),
            member_delete: b.sql(
                Query::delete()
                    .from_table(M::Table)
                    .and_where(Expr::col(M::CollectionId).eq(p()))
                    .and_where(Expr::col(M::ArtifactId).eq(p())),
            ),
            collections_first: b.sql(&limited(
                Query::select()
                    .columns([(C::Table, C::Name), (C::Table, C::Description)])
                    .expr(artifact_count())
                    .expr(group_count())
                    .from(C::Table)
                    .order_by((C::Table, C::Name), Order::Asc)
                    .to_owned(),
            )),
            collections_after: b.sql(&limited(
                Query::select()
                    .columns([(C::Table, C::Name), (C::Table, C::Description)])
                    .expr(artifact_count())
                    .expr(group_count())
                    .from(C::Table)
                    .and_where(Expr::col((C::Table, C::Name)).gt(p()))
                    .order_by((C::Table, C::Name), Order::Asc)
                    .to_owned(),
            )),
            collection_row: b.sql(
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
            collection_count: b.sql(
                Query::select()
                    .expr(artifact_count())
                    .from(C::Table)
                    .and_where(Expr::col((C::Table, C::Name)).eq(p())),
            ),
            group_id: select_id(
                G::Table.into_iden(),
                G::Id.into_iden(),
                Expr::col(G::CollectionId)
                    .eq(p())
                    .and(Expr::col(G::Name).eq(p())),
            ),
            group_insert: b.sql(
                Query::insert()
                    .into_table(G::Table)
                    .columns([G::CollectionId, G::Name, G::Position])
                    .values_panic([p(), p(), p()])
                    .on_conflict(
                        OnConflict::columns([G::CollectionId, G::Name])
                            .do_nothing()
                            .to_owned(),
                    ),
            ),
            group_delete: b.sql(
                Query::delete()
                    .from_table(G::Table)
                    .and_where(Expr::col(G::Id).eq(p())),
            ),
            group_member_insert: b.sql(
                Query::insert()
                    .into_table(GroupMembers::Table)
                    .columns([GroupMembers::GroupId, GroupMembers::ArtifactId])
                    .values_panic([p(), p()])
                    .on_conflict(
                        OnConflict::columns([GroupMembers::GroupId, GroupMembers::ArtifactId])
                            .do_nothing()
                            .to_owned(),
                    ),
            ),
            group_member_delete: b.sql(
                Query::delete()
                    .from_table(GroupMembers::Table)
                    .and_where(Expr::col(GroupMembers::GroupId).eq(p()))
                    .and_where(Expr::col(GroupMembers::ArtifactId).eq(p())),
            ),
            template_id: select_id(
                Templates::Table.into_iden(),
                Templates::Id.into_iden(),
                Expr::col(Templates::Name).eq(p()),
            ),
            template_insert: {
                let mut q = Query::insert()
                    .into_table(Templates::Table)
                    .columns([
                        Templates::Name,
                        Templates::Description,
                        Templates::CollectionId,
                        Templates::CreatedAt,
                        Templates::UpdatedAt,
                    ])
                    .values_panic([p(), p(), p(), p(), p()])
                    .to_owned();
                b.return_new_id(&mut q, Templates::Id);
                b.sql(&q)
            },
            template_update: b.sql(
                Query::update()
                    .table(Templates::Table)
                    .value(Templates::Description, p())
                    .value(Templates::CollectionId, p())
                    .value(Templates::UpdatedAt, p())
                    .and_where(Expr::col(Templates::Id).eq(p())),
            ),
            template_delete: b.sql(
                Query::delete()
                    .from_table(Templates::Table)
                    .and_where(Expr::col(Templates::Id).eq(p())),
            ),
            entities_delete: b.sql(
                Query::delete()
                    .from_table(TemplateEntities::Table)
                    .and_where(Expr::col(TemplateEntities::TemplateId).eq(p())),
            ),
            entity_insert: b.sql(
                Query::insert()
                    .into_table(TemplateEntities::Table)
                    .columns([
                        TemplateEntities::TemplateId,
                        TemplateEntities::ArtifactId,
                        TemplateEntities::DeployOrder,
                        TemplateEntities::Required,
                    ])
                    .values_panic([p(), p(), p(), p()]),
            ),
            variables_delete: b.sql(
                Query::delete()
                    .from_table(TemplateVariables::Table)
                    .and_where(Expr::col(TemplateVariables::TemplateId).eq(p())),
            ),
            variable_insert: b.sql(
                Query::insert()
                    .into_table(TemplateVariables::Table)
                    .columns([
                        TemplateVariables::TemplateId,
                        TemplateVariables::Position,
                        TemplateVariables::Name,
                        TemplateVariables::Required,
                        TemplateVariables::DefaultValue,
                        TemplateVariables::Description,
                    ])
                    .values_panic([p(), p(), p(), p(), p(), p()]),
            ),
            template_head: b.sql(
                Query::select()
                    .columns([
                        (Templates::Table, Templates::Id),
                        (Templates::Table, Templates::Name),
                        (Templates::Table, Templates::Description),
                    ])
                    .column((C::Table, C::Name))
                    .columns([
                        (TemplateVariables::Table, TemplateVariables::Name),
                        (TemplateVariables::Table, TemplateVariables::Required),
                        (TemplateVariables::Table, TemplateVariables::DefaultValue),
                        (TemplateVariables::Table, TemplateVariables::Description),
                    ])
                    .from(Templates::Table)
                    .left_join(
                        C::Table,
                        Expr::col((C::Table, C::Id))
                            .equals((Templates::Table, Templates::CollectionId)),
                    )
                    .left_join(
                        TemplateVariables::Table,
                        Expr::col((TemplateVariables::Table, TemplateVariables::TemplateId))
                            .equals((Templates::Table, Templates::Id)),
                    )
                    .and_where(Expr::col((Templates::Table, Templates::Name)).eq(p()))
                    .order_by(
                        (TemplateVariables::Table, TemplateVariables::Position),
                        Order::Asc,
                    ),
            ),
            template_entities: b.sql(
                Query::select()
                    .columns([
                        (TemplateEntities::Table, TemplateEntities::DeployOrder),
                        (TemplateEntities::Table, TemplateEntities::Required),
                    ])
                    .columns([
                        (A::Table, A::Type),
                        (A::Table, A::Name),
                        (A::Table, A::Description),
                    ])
                    .columns([
                        (F::Table, F::Path),
                        (F::Table, F::Executable),
                        (F::Table, F::Verbatim),
                    ])
                    .columns([(Blobs::Table, Blobs::Hash), (Blobs::Table, Blobs::Content)])
                    .from(TemplateEntities::Table)
                    .inner_join(
                        A::Table,
                        Expr::col((A::Table, A::Id))
                            .equals((TemplateEntities::Table, TemplateEntities::ArtifactId)),
                    )
                    .left_join(
                        F::Table,
                        Expr::col((F::Table, F::ArtifactId)).equals((A::Table, A::Id)),
                    )
                    .left_join(
                        Blobs::Table,
                        Expr::col((Blobs::Table, Blobs::Hash)).equals((F::Table, F::BlobHash)),
                    )
                    .and_where(
                        Expr::col((TemplateEntities::Table, TemplateEntities::TemplateId)).eq(p()),
                    )
                    .order_by(
                        (TemplateEntities::Table, TemplateEntities::DeployOrder),
                        Order::Asc,
                    )
                    .order_by((F::Table, F::Path), Order::Asc),
            ),
            templates_list: b.sql(
                Query::select()
                    .columns([
                        (Templates::Table, Templates::Name),
                        (Templates::Table, Templates::Description),
                    ])
                    .column((C::Table, C::Name))
                    .expr(sub(Query::select()
                        .expr(Func::count(Expr::col(Asterisk)))
                        .from(TemplateEntities::Table)
                        .and_where(
                            Expr::col((TemplateEntities::Table, TemplateEntities::TemplateId))
                                .equals((Templates::Table, Templates::Id)),
                        )
                        .to_owned()))
                    .from(Templates::Table)
                    .left_join(
                        C::Table,
                        Expr::col((C::Table, C::Id))
                            .equals((Templates::Table, Templates::CollectionId)),
                    )
                    .order_by((Templates::Table, Templates::Name), Order::Asc),
            ),
            page_collections: b.sql(
                Query::select()
                    .column((M::Table, M::ArtifactId))
                    .column((C::Table, C::Name))
                    .column(match mode {
                        CountMode::Triggers => (C::Table, C::ArtifactCount),
                        // Counted apart (`page_counts`), through the cache.
                        CountMode::Query => (C::Table, C::Id),
                    })
                    .from(M::Table)
                    .inner_join(
                        C::Table,
                        Expr::col((C::Table, C::Id)).equals((M::Table, M::CollectionId)),
                    )
                    .and_where(b.in_id_list(Expr::col((M::Table, M::ArtifactId)))),
            ),
            page_counts: b.sql(
                Query::select()
                    .column((M::Table, M::CollectionId))
                    .expr(Func::count(Expr::col(Asterisk)))
                    .from(M::Table)
                    .and_where(b.in_id_list(Expr::col((M::Table, M::CollectionId))))
                    .group_by_col((M::Table, M::CollectionId)),
            ),
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

use sea_query::IntoIden;

/// A validated, normalised artifact filter (no page position).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Filter {
    /// Sorted, deduplicated.
    pub types: Vec<String>,
    /// Sorted, deduplicated.
    pub tags: Vec<String>,
    pub collection: Option<String>,
    pub search: Option<String>,
}

/// A decoded keyset position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum After {
    Name { name: String, id: i64 },
    Updated { updated_at: i64, id: i64 },
}

/// What decides the text of a listing statement: equal shapes print equal
/// SQL, so the text is built once per shape and reused.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub types: usize,
    pub tags: usize,
    pub collection: bool,
    pub search: bool,
    pub sort: ArtifactSort,
    pub after: bool,
}

impl Filter {
    pub(crate) fn shape(&self, sort: ArtifactSort, after: bool) -> Shape {
        Shape {
            types: self.types.len(),
            tags: self.tags.len(),
            collection: self.collection.is_some(),
            search: self.search.is_some(),
            sort,
            after,
        }
    }

    /// The WHERE conditions of the filter on `artifacts`, in the order
    /// [`Filter::params`] lists their values.
    fn conditions(&self, b: Backend) -> Vec<Expr> {
        use Artifacts as A;
        let mut out = Vec::new();
        if !self.types.is_empty() {
            out.push(Expr::col((A::Table, A::Type)).is_in(self.types.iter().map(String::as_str)));
        }
        for tag in &self.tags {
            // One EXISTS per required tag: a primary-key probe per candidate
            // row, so an ordered scan stops at the page's LIMIT. (An
            // `IN (… GROUP BY … HAVING COUNT(*) = n)` form materialised every
            // carrier of the tag first: ~10× slower on the bench data.)
            let tag_id = Query::select()
                .column(Tags::Id)
                .from(Tags::Table)
                .and_where(Expr::col(Tags::Name).eq(tag.as_str()))
                .to_owned();
            out.push(Expr::exists(
                Query::select()
                    .expr(Expr::Constant(Value::from(1)))
                    .from(ArtifactTags::Table)
                    .and_where(
                        Expr::col((ArtifactTags::Table, ArtifactTags::ArtifactId))
                            .equals((A::Table, A::Id)),
                    )
                    .and_where(
                        Expr::col((ArtifactTags::Table, ArtifactTags::TagId))
                            .eq(SubQueryStatement::SelectStatement(tag_id)),
                    )
                    .to_owned(),
            ));
        }
        if let Some(collection) = &self.collection {
            let members = Query::select()
                .column((CollectionMembers::Table, CollectionMembers::ArtifactId))
                .from(CollectionMembers::Table)
                .inner_join(
                    Collections::Table,
                    Expr::col((Collections::Table, Collections::Id))
                        .equals((CollectionMembers::Table, CollectionMembers::CollectionId)),
                )
                .and_where(Expr::col((Collections::Table, Collections::Name)).eq(collection))
                .to_owned();
            out.push(Expr::col((A::Table, A::Id)).in_subquery(members));
        }
        if let Some(search) = &self.search {
            out.push(
                b.contains(Expr::col((A::Table, A::Name)), search)
                    .or(b.contains(Expr::col((A::Table, A::Description)), search)),
            );
        }
        out
    }

    /// The bound values of [`Filter::conditions`], in statement order.
    fn params(&self, out: &mut Vec<Value>) {
        out.extend(self.types.iter().map(|t| Value::from(t.as_str())));
        out.extend(self.tags.iter().map(|t| Value::from(t.as_str())));
        if let Some(c) = &self.collection {
            out.push(Value::from(c.as_str()));
        }
        if let Some(s) = &self.search {
            let needle = search_param(s);
            out.push(Value::from(needle.clone()));
            out.push(Value::from(needle));
        }
    }
}

/// The page statement: matching artifacts in order. The caller reads
/// `limit + 1` rows (to know whether a next page exists) and stops.
///
/// Deliberately no `LIMIT ?`: SQLite plans with the bound LIMIT value, which
/// marks the statement to be re-prepared on every execution (SQL parsing
/// was about 9% of a listing's profile). Rows are produced lazily, so an
/// ordered index scan still stops after the rows read; plans that sort
/// (several types, a collection) sort all matches either way.
pub(crate) fn page_statement(
    b: Backend,
    filter: &Filter,
    sort: ArtifactSort,
    after: Option<&After>,
) -> SelectStatement {
    use Artifacts as A;
    let mut q = Query::select();
    q.columns([
        (A::Table, A::Id),
        (A::Table, A::Type),
        (A::Table, A::Name),
        (A::Table, A::Description),
        (A::Table, A::Source),
        (A::Table, A::CreatedAt),
        (A::Table, A::UpdatedAt),
        (A::Table, A::TagNames),
    ])
    .from(A::Table);
    for c in filter.conditions(b) {
        q.and_where(c);
    }
    match after {
        Some(After::Name { name, id }) => {
            q.and_where(
                Expr::tuple([Expr::col((A::Table, A::Name)), Expr::col((A::Table, A::Id))])
                    .gt(Expr::tuple([Expr::val(name.as_str()), Expr::val(*id)])),
            );
        }
        Some(After::Updated { updated_at, id }) => {
            q.and_where(
                Expr::tuple([
                    Expr::col((A::Table, A::UpdatedAt)),
                    Expr::col((A::Table, A::Id)),
                ])
                .lt(Expr::tuple([Expr::val(*updated_at), Expr::val(*id)])),
            );
        }
        None => {}
    }
    if b.binds_limit() {
        // Bound last (see `page_params`).
        q.limit(0);
    }
    match sort {
        ArtifactSort::Name => q
            .order_by((A::Table, A::Name), Order::Asc)
            .order_by((A::Table, A::Id), Order::Asc),
        ArtifactSort::RecentlyUpdated => q
            .order_by((A::Table, A::UpdatedAt), Order::Desc)
            .order_by((A::Table, A::Id), Order::Desc),
    };
    q
}

/// [`page_statement`] as a subquery `p`, joined to each row's collections:
/// one row per (artifact, collection), or one with NULL collection columns
/// for an artifact in none, in page order. Columns: the page's eight, then
/// the collection name and its artifact count ([`CountMode::Query`]: the
/// collection id, counted apart). Bound values: [`page_params`]; the
/// catalogue prints the LIMIT inline instead (see [`inline_limit`]).
pub(crate) fn page_with_collections_statement(
    b: Backend,
    mode: CountMode,
    filter: &Filter,
    sort: ArtifactSort,
    after: Option<&After>,
) -> SelectStatement {
    use Artifacts as A;
    use CollectionMembers as M;
    use Collections as C;
    let page = Alias::new("p");
    let count = match mode {
        CountMode::Triggers => C::ArtifactCount,
        CountMode::Query => C::Id,
    };
    let mut q = Query::select();
    q.columns([
        (page.clone(), A::Id),
        (page.clone(), A::Type),
        (page.clone(), A::Name),
        (page.clone(), A::Description),
        (page.clone(), A::Source),
        (page.clone(), A::CreatedAt),
        (page.clone(), A::UpdatedAt),
        (page.clone(), A::TagNames),
    ])
    .columns([(C::Table, C::Name), (C::Table, count)])
    .from_subquery(page_statement(b, filter, sort, after), page.clone())
    .left_join(
        M::Table,
        Expr::col((M::Table, M::ArtifactId)).equals((page.clone(), A::Id)),
    )
    .left_join(
        C::Table,
        Expr::col((C::Table, C::Id)).equals((M::Table, M::CollectionId)),
    );
    match sort {
        ArtifactSort::Name => q
            .order_by((page.clone(), A::Name), Order::Asc)
            .order_by((page, A::Id), Order::Asc),
        ArtifactSort::RecentlyUpdated => q
            .order_by((page.clone(), A::UpdatedAt), Order::Desc)
            .order_by((page, A::Id), Order::Desc),
    };
    q
}

/// Replaces the last bound parameter of printed PostgreSQL SQL, the page's
/// `LIMIT $n`, by the number itself; `None` if the text has no such LIMIT.
///
/// Why: PostgreSQL plans a prepared statement once, generically, only when
/// the generic plan is about as cheap as a planned-per-value one; with a
/// bound LIMIT it assumes 10% of the rows come back, prices a hash join
/// over every membership, and so re-plans at each execution (0.3–1.5 ms of
/// planning per page here, more than the execution). With the number in the
/// text the generic plan is the nested loop over the page's rows. The text
/// then differs per page size, so the catalogue keys it by size as well
/// (a handful of sizes in practice).
pub(crate) fn inline_limit(sql: &str, params: usize, fetch: i64) -> Option<String> {
    let bound = format!("LIMIT ${params}");
    let at = sql.rfind(&bound)?;
    let after = &sql[at + bound.len()..];
    if after.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("{}LIMIT {fetch}{after}", &sql[..at]))
}

/// The bound values of [`page_statement`], in statement order; `fetch` is
/// the bound LIMIT where the backend binds one (`Backend::binds_limit`).
pub(crate) fn page_params(
    b: Backend,
    filter: &Filter,
    after: Option<&After>,
    fetch: i64,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(8);
    filter.params(&mut out);
    match after {
        Some(After::Name { name, id }) => {
            out.push(Value::from(name.as_str()));
            out.push(Value::from(*id));
        }
        Some(After::Updated { updated_at, id }) => {
            out.push(Value::from(*updated_at));
            out.push(Value::from(*id));
        }
        None => {}
    }
    if b.binds_limit() {
        // i64, not sea-query's u64: PostgreSQL binds LIMIT as BIGINT.
        out.push(Value::from(fetch));
    }
    out
}

/// Facet statement 1: matching artifacts counted by type.
pub(crate) fn facet_types_statement(b: Backend, filter: &Filter) -> SelectStatement {
    use Artifacts as A;
    let mut q = Query::select();
    q.column((A::Table, A::Type))
        .expr(Func::count(Expr::col(Asterisk)))
        .from(A::Table);
    for c in filter.conditions(b) {
        q.and_where(c);
    }
    q.group_by_col((A::Table, A::Type))
        .order_by((A::Table, A::Type), Order::Asc);
    q
}

/// Facet statement 2: tags of the matching artifacts, counted.
pub(crate) fn facet_tags_statement(b: Backend, filter: &Filter) -> SelectStatement {
    use Artifacts as A;
    let mut q = Query::select();
    q.column((Tags::Table, Tags::Name))
        .expr(Func::count(Expr::col(Asterisk)))
        .from(ArtifactTags::Table)
        .inner_join(
            Tags::Table,
            Expr::col((Tags::Table, Tags::Id)).equals((ArtifactTags::Table, ArtifactTags::TagId)),
        );
    let conditions = filter.conditions(b);
    // Without a filter every link counts (links only exist for existing
    // artifacts): skipping the `IN (SELECT id FROM artifacts)` halves the
    // cost of the unfiltered facets, the most common ones.
    if !conditions.is_empty() {
        let mut matching = Query::select();
        matching.column((A::Table, A::Id)).from(A::Table);
        for c in conditions {
            matching.and_where(c);
        }
        q.and_where(
            Expr::col((ArtifactTags::Table, ArtifactTags::ArtifactId)).in_subquery(matching),
        );
    }
    q.group_by_columns([(Tags::Table, Tags::Id), (Tags::Table, Tags::Name)])
        .order_by((Tags::Table, Tags::Name), Order::Asc);
    q
}

/// The bound values of both facet statements.
pub(crate) fn facet_params(filter: &Filter) -> Vec<Value> {
    let mut out = Vec::new();
    filter.params(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Buildable;

    fn filters() -> Vec<Filter> {
        let mut out = Vec::new();
        for types in [
            vec![],
            vec!["skill".to_owned()],
            vec!["agent".into(), "skill".into()],
        ] {
            for tags in [vec![], vec!["a".to_owned()], vec!["a".into(), "b_c".into()]] {
                for collection in [None, Some("docs".to_owned())] {
                    for search in [None, Some("50%_Off\\".to_owned())] {
                        out.push(Filter {
                            types: types.clone(),
                            tags: tags.clone(),
                            collection: collection.clone(),
                            search: search.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// The hand-listed parameters must be exactly what sea-query collects
    /// when it builds the same statement, or cached SQL would bind wrongly.
    /// sea-query collects LIMIT as u64; the catalogue binds it as i64.
    fn normalised(values: Vec<Value>) -> Vec<Value> {
        values
            .into_iter()
            .map(|v| match v {
                Value::BigUnsigned(Some(n)) => Value::BigInt(i64::try_from(n).ok()),
                v => v,
            })
            .collect()
    }

    #[test]
    fn hand_listed_parameters_match_the_built_statement_for_every_shape() {
        for b in [Backend::Sqlite, Backend::Postgres] {
            hand_listed_parameters_match(b);
        }
    }

    fn hand_listed_parameters_match(b: Backend) {
        let afters = [
            None,
            Some(After::Name {
                name: "x".into(),
                id: 7,
            }),
            Some(After::Updated {
                updated_at: 99,
                id: 3,
            }),
        ];
        for f in filters() {
            for after in &afters {
                let sort = match after {
                    Some(After::Updated { .. }) => ArtifactSort::RecentlyUpdated,
                    _ => ArtifactSort::Name,
                };
                let (_, built) = page_statement(b, &f, sort, after.as_ref()).build_for(b);
                assert_eq!(
                    normalised(built.0),
                    page_params(b, &f, after.as_ref(), 0),
                    "{b:?} {f:?} {after:?}"
                );
                let (_, built) = page_with_collections_statement(
                    b,
                    CountMode::Triggers,
                    &f,
                    sort,
                    after.as_ref(),
                )
                .build_for(b);
                let n = built.0.len();
                assert_eq!(
                    normalised(built.0),
                    page_params(b, &f, after.as_ref(), 0),
                    "joined: {b:?} {f:?} {after:?}"
                );
                if b == Backend::Postgres {
                    // The catalogue prints this LIMIT inline: it must be the
                    // last parameter, and the only place `$n` occurs.
                    let sql = page_with_collections_statement(
                        b,
                        CountMode::Query,
                        &f,
                        sort,
                        after.as_ref(),
                    )
                    .build_for(b)
                    .0;
                    let inlined = inline_limit(&sql, n, 51).expect("an inlinable LIMIT");
                    assert!(inlined.contains("LIMIT 51)"), "{inlined}");
                    assert!(!inlined.contains(&format!("${n}")), "{inlined}");
                    assert!(
                        n < 2 || inlined.contains(&format!("${}", n - 1)),
                        "{inlined}"
                    );
                }
            }
            let (_, built) = facet_types_statement(b, &f).build_for(b);
            assert_eq!(built.0, facet_params(&f), "{f:?}");
            let (_, built) = facet_tags_statement(b, &f).build_for(b);
            assert_eq!(built.0, facet_params(&f), "{f:?}");
        }
    }

    #[test]
    fn equal_shapes_print_equal_sql() {
        for b in [Backend::Sqlite, Backend::Postgres] {
            equal_shapes_print_equal_sql_for(b);
        }
    }

    fn equal_shapes_print_equal_sql_for(b: Backend) {
        let one = Filter {
            types: vec!["skill".into()],
            tags: vec!["x".into()],
            collection: Some("c1".into()),
            search: Some("foo".into()),
        };
        let two = Filter {
            types: vec!["agent".into()],
            tags: vec!["y".into()],
            collection: Some("c2".into()),
            search: Some("bar".into()),
        };
        assert_eq!(
            one.shape(ArtifactSort::Name, false),
            two.shape(ArtifactSort::Name, false)
        );
        let sql = |f: &Filter| {
            page_statement(b, f, ArtifactSort::Name, None)
                .build_for(b)
                .0
        };
        assert_eq!(sql(&one), sql(&two));
    }

    /// Every fixed statement with the number of parameters listed in its
    /// field's doc comment (plus the bound LIMIT where the backend binds one).
    fn documented(q: &Queries, b: Backend) -> Vec<(&String, usize)> {
        let limit = usize::from(b.binds_limit());
        let mut out = vec![
            (&q.collections_first, limit),
            (&q.collections_after, 1 + limit),
            (&q.page_counts, 1),
        ];
        out.extend([
            (&q.artifact_id, 2),
            (&q.artifact_head, 2),
            (&q.artifact_insert, 8),
            (&q.artifact_update, 6),
            (&q.artifact_tag_names, 2),
            (&q.artifact_delete, 1),
            (&q.artifact_full, 2),
            (&q.artifact_versions, 2),
            (&q.templates_using, 1),
            (&q.blob_insert, 3),
            (&q.files_delete, 1),
            (&q.file_insert, 5),
            (&q.version_find, 2),
            (&q.version_max, 1),
            (&q.version_insert, 4),
            (&q.tags_of, 1),
            (&q.artifact_tags_delete, 1),
            (&q.tag_find, 1),
            (&q.tag_insert, 1),
            (&q.artifact_tag_insert, 2),
            (&q.artifact_tag_delete, 2),
            (&q.tag_counts, 0),
            (&q.collection_id, 1),
            (&q.collection_insert, 3),
            (&q.collection_rename, 2),
            (&q.collection_delete, 1),
            (&q.member_insert, 2),
            (&q.member_delete, 2),
            (&q.collection_row, 1),
            (&q.groups_of, 1),
            (&q.collection_count, 1),
            (&q.group_id, 2),
            (&q.group_insert, 3),
            (&q.group_delete, 1),
            (&q.group_member_insert, 2),
            (&q.group_member_delete, 2),
            (&q.template_id, 1),
            (&q.template_insert, 5),
            (&q.template_update, 4),
            (&q.template_delete, 1),
            (&q.entities_delete, 1),
            (&q.entity_insert, 4),
            (&q.variables_delete, 1),
            (&q.variable_insert, 6),
            (&q.template_head, 1),
            (&q.template_entities, 1),
            (&q.templates_list, 0),
            (&q.page_collections, 1),
            (&q.verify_collections, 0),
            (&q.verify_groups, 0),
            (&q.verify_tag_names, 0),
            (&q.recount_collections, 0),
            (&q.recount_groups, 0),
        ]);
        out
    }

    #[test]
    fn all_fixed_statements_prepare_and_take_the_documented_parameters() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&conn).unwrap();
        let tx = conn.transaction().unwrap();
        for m in Backend::Sqlite.migrations() {
            tx.execute_batch(m).unwrap();
        }
        let q = Queries::new(Backend::Sqlite, CountMode::Triggers);
        for (sql, params) in documented(&q, Backend::Sqlite) {
            match tx.prepare(sql) {
                Ok(stmt) => assert_eq!(stmt.parameter_count(), params, "{sql}"),
                Err(e) => panic!("{sql}: {e}"),
            }
        }
    }

    /// The same on PostgreSQL, in both count modes, inside a transaction
    /// that is rolled back (needs `STENCIL_TEST_POSTGRES`; skipped with a
    /// notice without it).
    #[cfg(feature = "postgres")]
    #[test]
    fn all_fixed_statements_prepare_on_postgres_with_the_documented_parameters() {
        let Ok(target) = std::env::var("STENCIL_TEST_POSTGRES") else {
            eprintln!(
                "NOTICE: STENCIL_TEST_POSTGRES is not set: PostgreSQL statement check SKIPPED"
            );
            return;
        };
        let mut client = postgres::Client::connect(&target, postgres::NoTls).unwrap();
        let mut tx = client.transaction().unwrap();
        tx.batch_execute("CREATE SCHEMA stencil_unit_statements; SET LOCAL search_path TO stencil_unit_statements")
            .unwrap();
        for m in Backend::Postgres.migrations() {
            tx.batch_execute(m).unwrap();
        }
        for mode in [CountMode::Triggers, CountMode::Query] {
            let q = Queries::new(Backend::Postgres, mode);
            for (sql, params) in documented(&q, Backend::Postgres) {
                match tx.prepare(sql) {
                    Ok(stmt) => assert_eq!(stmt.params().len(), params, "{sql}"),
                    Err(e) => panic!("{sql}: {e}"),
                }
            }
        }
        let f = Filter {
            types: vec!["skill".into()],
            tags: vec!["a".into()],
            collection: Some("c".into()),
            search: Some("x".into()),
        };
        let b = Backend::Postgres;
        for sql in [
            page_with_collections_statement(b, CountMode::Query, &f, ArtifactSort::Name, None)
                .build_for(b)
                .0,
            page_statement(b, &f, ArtifactSort::Name, None)
                .build_for(b)
                .0,
            facet_types_statement(b, &f).build_for(b).0,
            facet_tags_statement(b, &f).build_for(b).0,
        ] {
            if let Err(e) = tx.prepare(&sql) {
                panic!("{sql}: {e}");
            }
        }
        tx.rollback().unwrap();
    }
}
