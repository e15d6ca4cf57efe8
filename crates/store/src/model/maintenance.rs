//! How counts are kept, and what checking them and the work done report.

/// How collection and group counts are kept.
///
/// * [`CountMode::Triggers`] (the default): triggers update
///   `collections.artifact_count`, `group_count` and the group counts in the
///   writing transaction, so every read gets them as plain columns, exact
///   and free. The price is a row lock on the collection for every
///   membership change: on PostgreSQL, writers adding to *one* collection
///   queue behind each other (8 writers reached ~950 inserts/s here against
///   3,300–4,050/s without the trigger).
/// * [`CountMode::Query`] (PostgreSQL only): no counting triggers. Counts are
///   computed when read (`count(*)` over the membership index, one `GROUP
///   BY` for a whole listing page) and the page's collection counts go
///   through the count cache. Choose it when many clients write memberships
///   of the same few collections concurrently (bulk tagging, importers
///   running in parallel) and reads can afford an index range scan per
///   counted collection; keep the triggers when reads dominate, which is
///   the common case.
///
/// The mode belongs to the database: opening with a different mode switches
/// it (and recounts when the triggers come back), so switch while no other
/// client writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CountMode {
    /// Counters kept by triggers, read as columns.
    #[default]
    Triggers,
    /// No counting triggers; counts computed on read and cached.
    Query,
}

/// A stored counter or copy that disagrees with the rows it summarises.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// What disagrees, e.g. `collection docs artifact_count`,
    /// `group docs/setup artifact_count` or `artifact skill:x tag_names`.
    pub what: String,
    /// The stored value, as text (tag names joined by `, `).
    pub stored: String,
    /// The value recomputed from the rows (`GROUP BY` for counts).
    pub actual: String,
}

/// Work done by a catalogue since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// SQL statements run that read or write data (from SQLite's profile hook;
    /// trigger bodies are part of their statement).
    pub statements: u64,
    /// Transaction-control statements (`BEGIN`, `COMMIT`, `ROLLBACK`,
    /// `SAVEPOINT`, `RELEASE`), counted apart so budgets state data statements.
    pub transactions: u64,
    /// Count-cache lookups answered from the cache.
    pub cache_hits: u64,
    /// Count-cache lookups that had to query.
    pub cache_misses: u64,
}
