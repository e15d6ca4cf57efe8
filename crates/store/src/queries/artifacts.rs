//! Statements of `catalog/artifacts.rs`: artifacts, their files, blobs,
//! versions and tag links.

use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement, Value};

use super::build::{
    delete_where, insert_into, p, select_where, sub, update_where, with_file_outline, with_files,
};
use super::schema::{
    ArtifactFiles as F, ArtifactTags, ArtifactVersions as V, Artifacts as A, Blobs, Tags,
    TemplateEntities, Templates,
};
use crate::backend::Backend;

/// Where the file columns ([`FileColumns`](super::build::FileColumns)) of
/// [`ArtifactSql::full`] start.
pub(crate) const FULL_FILES: usize = 7;

/// The artifact statements.
pub(crate) struct ArtifactSql {
    /// type, name → id
    pub id: String,
    /// type, name → id, digest, description, source
    pub head: String,
    /// type, name, description, source, digest, tag_names, created_at,
    /// updated_at → the new id (see `Backend::return_new_id`; nothing is
    /// inserted when the key exists)
    pub insert: String,
    /// description, source, digest, tag_names, updated_at, id
    pub update: String,
    /// tag_names, id
    pub set_tag_names: String,
    /// id
    pub delete: String,
    /// type, name → id, description, source, created_at, updated_at, digest,
    /// current (highest) version, then the file columns from [`FULL_FILES`]: one row per file,
    /// by path
    pub full: String,
    /// [`full`](Self::full) with each blob's size where its content would
    /// be (no content is read)
    pub full_outline: String,
    /// type, name → version, digest, created_at (oldest first)
    pub versions: String,
    /// artifact id → template names
    pub templates_using: String,
    /// hash, size, content (nothing when the hash is stored)
    pub blob_insert: String,
    /// artifact id
    pub files_delete: String,
    /// artifact id, path, blob hash, executable, verbatim
    pub file_insert: String,
    /// artifact id → the highest version (0 when none)
    pub version_max: String,
    /// artifact id, version, digest, created_at
    pub version_insert: String,
    /// artifact id → tag names, sorted
    pub tags_of: String,
    /// artifact id: removes every tag link
    pub untag_all: String,
    /// name → tag id
    pub tag_find: String,
    /// name → the new id (nothing when the tag exists)
    pub tag_insert: String,
    /// artifact id, tag id (nothing when linked already)
    pub tag: String,
    /// artifact id, tag id
    pub untag: String,
}

impl ArtifactSql {
    pub(crate) fn new(b: Backend) -> Self {
        let by_key = || {
            Expr::col((A::Table, A::Type))
                .eq(p())
                .and(Expr::col((A::Table, A::Name)).eq(p()))
        };
        ArtifactSql {
            id: select_where(b, A::Table, A::Id, by_key()),
            head: b.sql(
                Query::select()
                    .columns([A::Id, A::Digest, A::Description, A::Source])
                    .from(A::Table)
                    .and_where(by_key()),
            ),
            insert: {
                // New artifacts (the bulk of an import) then cost no lookup
                // first; a conflict inserts nothing.
                let mut q = insert_into(
                    A::Table,
                    &[
                        A::Type,
                        A::Name,
                        A::Description,
                        A::Source,
                        A::Digest,
                        A::TagNames,
                        A::CreatedAt,
                        A::UpdatedAt,
                    ],
                    &[A::Type, A::Name],
                );
                b.return_new_id(&mut q, A::Id);
                b.sql(&q)
            },
            update: update_where(
                b,
                A::Table,
                &[
                    A::Description,
                    A::Source,
                    A::Digest,
                    A::TagNames,
                    A::UpdatedAt,
                ],
                A::Id,
            ),
            set_tag_names: update_where(b, A::Table, &[A::TagNames], A::Id),
            delete: delete_where(b, A::Table, &[A::Id]),
            full: b.sql(
                with_files(&mut artifact_row())
                    .and_where(by_key())
                    .order_by((F::Table, F::Path), Order::Asc),
            ),
            full_outline: b.sql(
                with_file_outline(&mut artifact_row())
                    .and_where(by_key())
                    .order_by((F::Table, F::Path), Order::Asc),
            ),
            versions: b.sql(
                Query::select()
                    .columns([
                        (V::Table, V::Version),
                        (V::Table, V::Digest),
                        (V::Table, V::CreatedAt),
                    ])
                    .from(V::Table)
                    .inner_join(
                        A::Table,
                        Expr::col((A::Table, A::Id)).equals((V::Table, V::ArtifactId)),
                    )
                    .and_where(by_key())
                    .order_by((V::Table, V::Version), Order::Asc),
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
            blob_insert: b.sql(&insert_into(
                Blobs::Table,
                &[Blobs::Hash, Blobs::Size, Blobs::Content],
                &[Blobs::Hash],
            )),
            files_delete: delete_where(b, F::Table, &[F::ArtifactId]),
            file_insert: b.sql(&insert_into(
                F::Table,
                &[
                    F::ArtifactId,
                    F::Path,
                    F::BlobHash,
                    F::Executable,
                    F::Verbatim,
                ],
                &[],
            )),
            version_max: b.sql(
                Query::select()
                    .expr(Func::coalesce([
                        Func::max(Expr::col(V::Version)).into(),
                        Expr::Constant(Value::from(0i64)),
                    ]))
                    .from(V::Table)
                    .and_where(Expr::col(V::ArtifactId).eq(p())),
            ),
            version_insert: b.sql(&insert_into(
                V::Table,
                &[V::ArtifactId, V::Version, V::Digest, V::CreatedAt],
                &[],
            )),
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
            untag_all: delete_where(b, ArtifactTags::Table, &[ArtifactTags::ArtifactId]),
            tag_find: select_where(b, Tags::Table, Tags::Id, Expr::col(Tags::Name).eq(p())),
            tag_insert: {
                let mut q = insert_into(Tags::Table, &[Tags::Name], &[Tags::Name]);
                b.return_new_id(&mut q, Tags::Id);
                b.sql(&q)
            },
            tag: b.sql(&insert_into(
                ArtifactTags::Table,
                &[ArtifactTags::ArtifactId, ArtifactTags::TagId],
                &[ArtifactTags::ArtifactId, ArtifactTags::TagId],
            )),
            untag: delete_where(
                b,
                ArtifactTags::Table,
                &[ArtifactTags::ArtifactId, ArtifactTags::TagId],
            ),
        }
    }
}

/// An artifact's own columns and its current version (the newest: every
/// change of content appends one), for `full` and `full_outline`.
fn artifact_row() -> SelectStatement {
    Query::select()
        .columns([
            (A::Table, A::Id),
            (A::Table, A::Description),
            (A::Table, A::Source),
            (A::Table, A::CreatedAt),
            (A::Table, A::UpdatedAt),
            (A::Table, A::Digest),
        ])
        .expr(sub(Query::select()
            .expr(Func::max(Expr::col((V::Table, V::Version))))
            .from(V::Table)
            .and_where(Expr::col((V::Table, V::ArtifactId)).equals((A::Table, A::Id)))
            .to_owned()))
        .from(A::Table)
        .to_owned()
}
