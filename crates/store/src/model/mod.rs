//! The values the catalogue takes and returns.
//!
//! Every read returns plain owned data: there are no lazy relationships, so a
//! method's statement budget covers everything its return type holds.

mod artifacts;
mod collections;
mod listing;
mod maintenance;
mod names;
mod templates;

pub(crate) use artifacts::Sourced;
pub use artifacts::{
    Artifact, ArtifactFile, ArtifactVersion, BlobSource, ImportReport, NewArtifact, NewFile,
    PutOutcome,
};
pub use collections::{
    CollectionDetail, CollectionMeta, CollectionPage, CollectionSummary, GroupSummary,
    MembershipReport,
};
pub use listing::{
    ArtifactPage, ArtifactQuery, ArtifactSort, ArtifactSummary, CollectionRef, Facets,
    MAX_PAGE_LIMIT, TagCount,
};
pub use maintenance::{CountMode, Drift, Stats};
pub use names::{ArtifactKey, MAX_NAME_LEN, validate_type};
pub(crate) use names::{validate_file_path, validate_name, validate_variable};
pub use templates::{
    EntitySpec, Template, TemplateEntity, TemplateSpec, TemplateSummary, VariableDecl,
};
