//! Artifact listings: the query, its pages, facets and tag counts.

use super::names::ArtifactKey;

/// The largest page a listing returns.
pub const MAX_PAGE_LIMIT: u32 = 500;

/// A collection an artifact belongs to, with the collection's size.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CollectionRef {
    /// The collection name.
    pub name: String,
    /// Artifacts in the collection (trigger-maintained column).
    pub artifact_count: u64,
}

/// One row of an [`ArtifactPage`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactSummary {
    /// The `type:name` key.
    pub key: ArtifactKey,
    /// The description.
    pub description: String,
    /// Where it came from.
    pub source: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// Last change, milliseconds since the Unix epoch.
    pub updated_ms: i64,
    /// Tag names, sorted.
    pub tags: Vec<String>,
    /// Collections holding the artifact, sorted by name.
    pub collections: Vec<CollectionRef>,
}

/// Order of an artifact listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArtifactSort {
    /// By name, then by insertion (ascending).
    #[default]
    Name,
    /// Most recently updated first.
    RecentlyUpdated,
}

/// Filters, order and page of an artifact listing.
///
/// Filters combine with AND: an artifact must have one of `types` (if any),
/// *all* of `tags`, be in `collection` (if set) and contain `search` in its
/// name or description (ASCII case-insensitive).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactQuery {
    /// Accepted types; empty accepts all.
    pub types: Vec<String>,
    /// Required tags; empty requires none.
    pub tags: Vec<String>,
    /// Only members of this collection.
    pub collection: Option<String>,
    /// Substring of name or description.
    pub search: Option<String>,
    /// Order.
    pub sort: ArtifactSort,
    /// Page size, 1 to 500.
    pub limit: u32,
    /// Where to continue: the `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Default for ArtifactQuery {
    fn default() -> Self {
        ArtifactQuery {
            types: Vec::new(),
            tags: Vec::new(),
            collection: None,
            search: None,
            sort: ArtifactSort::Name,
            limit: 50,
            cursor: None,
        }
    }
}

impl ArtifactQuery {
    /// All artifacts, by name, 50 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an accepted type.
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.types.push(kind.into());
        self
    }

    /// Adds a required tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Restricts to one collection.
    pub fn collection(mut self, name: impl Into<String>) -> Self {
        self.collection = Some(name.into());
        self
    }

    /// Restricts to artifacts whose name or description contains `text`.
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }

    /// Sets the order.
    pub fn sort(mut self, sort: ArtifactSort) -> Self {
        self.sort = sort;
        self
    }

    /// Sets the page size (1 to 500).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Continues after a previous page.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

/// A page of artifacts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactPage {
    /// The artifacts of this page, in the requested order.
    pub items: Vec<ArtifactSummary>,
    /// Pass to [`ArtifactQuery::after`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Counts for a filter: total and by type and tag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Facets {
    /// Artifacts matching the filter.
    pub total: u64,
    /// `(type, count)`, sorted by type.
    pub by_type: Vec<(String, u64)>,
    /// `(tag, count)` over the matching artifacts, sorted by tag.
    pub by_tag: Vec<(String, u64)>,
}

/// A tag and how many artifacts carry it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagCount {
    /// The tag name.
    pub name: String,
    /// Artifacts carrying it.
    pub count: u64,
}
