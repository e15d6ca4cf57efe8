//! Every SQL statement of the catalogue, written once with sea-query.
//!
//! Fixed-shape statements are printed once per [`Backend`] when a catalogue
//! opens ([`Queries::new`]) and bound with plain parameters at each call:
//! building a statement costs microseconds, a listing page's whole budget is
//! about a hundred. They are grouped by the part of the catalogue that runs
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

use crate::backend::Backend;
use crate::model::CountMode;

/// The printed text of every fixed-shape statement, by area.
pub(crate) struct Queries {
    pub artifacts: ArtifactSql,
    pub collections: CollectionSql,
    pub templates: TemplateSql,
    pub listing: ListingSql,
    pub maintenance: MaintenanceSql,
}

impl Queries {
    pub(crate) fn new(b: Backend, mode: CountMode) -> Self {
        Queries {
            artifacts: ArtifactSql::new(b),
            collections: CollectionSql::new(b, mode),
            templates: TemplateSql::new(b),
            listing: ListingSql::new(b, mode),
            maintenance: MaintenanceSql::new(b),
        }
    }
}

#[cfg(test)]
mod tests;
