//! Every SQL statement of the catalogue, written once with sea-query.
//!
//! Fixed-shape statements are printed once per [`Backend`] and catalogue
//! handle, an area's statements on the area's first use ([`Lazy`]), and
//! bound with plain parameters at each call: building a statement costs
//! microseconds, a listing page's whole budget is about a hundred. They are grouped by the part of the catalogue that runs
//! them, one file each, matching `catalog/`: `catalog/artifacts.rs` reads
//! `self.q.artifacts.insert`. The artifact listing and facets change shape
//! with their filters; `listing.rs` builds them, and the catalogue keeps the
//! printed text per shape.
//!
//! Parameter order is the order in which values appear in each statement;
//! the comment above each field lists it, then `→` and the result columns in
//! order. A unit test below checks both lists against every statement as
//! printed for SQLite and PostgreSQL, so a decoder reading columns by
//! position cannot silently drift from its statement.

mod artifacts;
pub(crate) mod build;
mod collections;
mod listing;
mod maintenance;
pub(crate) mod schema;
mod templates;

pub(crate) use artifacts::{ArtifactSql, FULL_FILES};
pub(crate) use build::FileColumns;
pub(crate) use collections::CollectionSql;
pub(crate) use listing::{
    After, Filter, ListingSql, Shape, facet_params, facet_tags_statement, facet_types_statement,
    inline_limit, page_params, page_statement, page_with_collections_statement,
};
pub(crate) use maintenance::MaintenanceSql;
pub(crate) use templates::{ENTITY_FILES, MEMBER_FILES, TemplateSql};

use std::ops::Deref;
use std::sync::OnceLock;

use crate::backend::Backend;
use crate::model::CountMode;

/// The printed text of every fixed-shape statement, by area.
pub(crate) struct Queries {
    pub artifacts: Lazy<ArtifactSql>,
    pub collections: Lazy<CollectionSql>,
    pub templates: Lazy<TemplateSql>,
    pub listing: Lazy<ListingSql>,
    pub maintenance: Lazy<MaintenanceSql>,
}

impl Queries {
    pub(crate) fn new(b: Backend, mode: CountMode) -> Self {
        Queries {
            artifacts: Lazy::new(b, mode, |b, _| ArtifactSql::new(b)),
            collections: Lazy::new(b, mode, CollectionSql::new),
            templates: Lazy::new(b, mode, |b, _| TemplateSql::new(b)),
            listing: Lazy::new(b, mode, ListingSql::new),
            maintenance: Lazy::new(b, mode, |b, _| MaintenanceSql::new(b)),
        }
    }
}

/// One area's statements, printed on the area's first use (and then kept):
/// a command prints only the areas it runs — a deploy, the templates' —
/// instead of all five when the catalogue opens (about 0.6 million
/// instructions, a fifth of a whole `stencil template list` process; see
/// `docs/performance.md`). Reads as the area itself (`q.templates.load`).
pub(crate) struct Lazy<T> {
    cell: OnceLock<T>,
    build: fn(Backend, CountMode) -> T,
    backend: Backend,
    mode: CountMode,
}

impl<T> Lazy<T> {
    fn new(backend: Backend, mode: CountMode, build: fn(Backend, CountMode) -> T) -> Self {
        Lazy {
            cell: OnceLock::new(),
            build,
            backend,
            mode,
        }
    }
}

impl<T> Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.cell
            .get_or_init(|| (self.build)(self.backend, self.mode))
    }
}

#[cfg(test)]
mod tests;
