//! Collections and their groups as listed and read.

use super::names::ArtifactKey;

/// One row of a [`CollectionPage`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionSummary {
    /// The collection name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Artifacts in it (trigger-maintained).
    pub artifact_count: u64,
    /// Groups in it (trigger-maintained).
    pub group_count: u64,
}

/// A page of collections, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionPage {
    /// The collections.
    pub items: Vec<CollectionSummary>,
    /// Pass to [`Catalog::list_collections`](crate::Catalog::list_collections) for the next page.
    pub next_cursor: Option<String>,
}

/// A group inside a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupSummary {
    /// The group name, unique within its collection.
    pub name: String,
    /// Display position.
    pub position: i64,
    /// Artifacts in the group (trigger-maintained).
    pub artifact_count: u64,
}

/// A collection with its groups.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionDetail {
    /// The collection and its counts.
    pub collection: CollectionSummary,
    /// Its groups, by position then name.
    pub groups: Vec<GroupSummary>,
}

/// Artifacts added to or removed from a collection or group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MembershipReport {
    /// Artifacts whose membership changed (added, or removed).
    pub changed: Vec<ArtifactKey>,
    /// Artifacts that were already in (when adding) or already out (when removing).
    pub unchanged: Vec<ArtifactKey>,
    /// Keys that name no artifact.
    pub unknown: Vec<ArtifactKey>,
}
