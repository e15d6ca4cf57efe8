//! The stencil catalogue: artifacts (skills, commands, agents, rule files…)
//! with content-addressed, hash-verified files, grouped into collections,
//! tagged, versioned and bundled into project templates, stored in SQLite or,
//! for a catalogue shared by many machines, PostgreSQL (same API).
//! Every listing costs a fixed number of SQL statements whatever its size, and
//! counts are kept by triggers and a count cache that every write invalidates.
//!
//! # Example
//!
//! ```
//! use stencil_store::{ArtifactKey, ArtifactQuery, Catalog, NewArtifact, TemplateSpec, VariableDecl};
//!
//! let catalog = Catalog::open_in_memory()?;
//! let review = ArtifactKey::parse("skill:review")?;
//! catalog.put_artifact(
//!     &NewArtifact::new(review.clone())
//!         .description("Review a pull request")
//!         .file(".claude/skills/review/SKILL.md", "Review {{PROJECT}} carefully.\n")
//!         .tag("quality"),
//! )?;
//! catalog.create_collection("starter", "What every project gets")?;
//! catalog.add_to_collection("starter", &[review.clone()])?;
//!
//! // A page of artifacts with their tags and collections: at most 3 statements.
//! let page = catalog.list_artifacts(&ArtifactQuery::new().tag("quality").limit(50))?;
//! assert_eq!(page.items[0].collections[0].artifact_count, 1);
//!
//! // A template: entities in deploy order, declared variables.
//! catalog.create_template(
//!     &TemplateSpec::new("rust-service")
//!         .entity(review, true)
//!         .variable(VariableDecl::required("PROJECT")),
//! )?;
//! let template = catalog.load_template("rust-service")?;
//! let file = &template.entities[0].files[0];
//! assert_eq!(file.path, ".claude/skills/review/SKILL.md");
//! assert_eq!(file.content, b"Review {{PROJECT}} carefully.\n");
//! # Ok::<(), stencil_store::Error>(())
//! ```
//!
//! # Statement budgets
//!
//! [`Catalog::stats`] counts the SQL statements run (from SQLite's profile
//! hook; on PostgreSQL by the connection layer), so the budgets below are
//! asserted by the crate's tests at page sizes 1, 50 and 500, on both
//! backends:
//!
//! | read | statements |
//! |---|---|
//! | [`Catalog::list_artifacts`] (with tags and collections) | ≤ 3 (uses 2; 1 on PostgreSQL) |
//! | [`Catalog::list_collections`] (with counts) | ≤ 2 (uses 1) |
//! | [`Catalog::collection`] (with groups) | ≤ 2 |
//! | [`Catalog::load_template`] (with variables, entities, files) | ≤ 3 (uses 2) |
//! | [`Catalog::facets`] | ≤ 2 (0 on a cache hit) |
//!
//! # Counts and freshness
//!
//! Collection and group counts are columns kept by triggers, read at no
//! extra cost. Counts that need a query (`collection_artifact_count`,
//! `tag_counts`, `facets`) go through an LRU count cache that every write made
//! through the [`Catalog`] clears after its commit, so they are never older
//! than this catalogue's last commit; writes by other processes show within
//! the cache TTL ([`CatalogBuilder::cache_ttl`], default 1 s), or at once with
//! [`CatalogBuilder::detect_external_writes`]. [`Catalog::verify_counts`]
//! proves there is no drift and [`Catalog::recount`] repairs it.
//!
//! # Opening
//!
//! [`Catalog::open`] creates a missing or empty file (for commands that
//! make a catalogue); `Catalog::builder().create(false).open(path)` never
//! does (for commands that only read), refusing a missing, empty or
//! non-regular file with [`Error::NotACatalogue`]. A file that is not a
//! SQLite database, or is another application's, is refused before
//! anything is written to it. A catalogue on a read-only path (file,
//! directory or mount) opens read-only ([`Catalog::is_read_only`]): reads
//! work, writes fail with [`Error::ReadOnly`]. [`CatalogTarget`] tells a
//! file path from a PostgreSQL connection string and shows either without
//! its password.
//!
//! # Threads and async
//!
//! A [`Catalog`] is `Send + Sync`. On PostgreSQL threads sharing one run
//! in parallel on its connection pool; on SQLite they take turns on its one
//! connection, and [`Catalog::try_clone`] gives each thread its own. The
//! PostgreSQL client is blocking: from async code call the catalogue inside
//! `spawn_blocking`, never on an async task.
//!
//! # Crate features
//!
//! * `bundled` (on by default) — SQLite compiled in (rusqlite's `bundled`).
//!   Turn default features off to link the system SQLite (3.45.3 or newer)
//!   when the host program links SQLite itself: `libsqlite3-sys` can be
//!   linked only once per program. See `examples/system_sqlite.rs`.
//! * `postgres` (off by default) — the PostgreSQL backend:
//!   `Catalog::open_postgres("postgres://user@host/db")` or
//!   `Catalog::builder().postgres_schema("team").open_postgres("host=… dbname=…")`,
//!   a connection pool (`CatalogBuilder::pool_size`, `pool_timeout`) whose
//!   connections each keep their prepared statements, `Catalog::try_clone`
//!   for other threads, and [`CountMode::Query`] for write-heavy catalogues.
//!   A dropped connection is [`Error::Unavailable`] ([`Error::is_retryable`]).
//!
//! No driver type is part of the API: a database error is
//! [`Error::Database`] with an opaque [`DriverError`]; ask it
//! [`Error::is_busy`], [`Error::is_retryable`], [`Error::sqlite_code`] or
//! [`Error::sqlstate`]. Every query is written once with sea-query and
//! printed per [`Backend`]; every operation is written once against an
//! internal connection layer with one implementation per driver.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod backend;
mod binder;
mod cache;
mod catalog;
mod conn;
mod counters;
mod cursor;
mod error;
mod model;
mod param;
#[cfg(feature = "postgres")]
mod pg;
#[cfg(all(test, feature = "postgres"))]
mod pg_test_target;
mod queries;
mod sqlite;
mod target;

pub use backend::Backend;
pub use catalog::{ArtifactSource, Catalog, CatalogBuilder, InstallOutcome};
pub use error::{DriverError, Error, ObjectKind, Result};
pub use model::{
    Artifact, ArtifactFile, ArtifactKey, ArtifactPage, ArtifactQuery, ArtifactSort,
    ArtifactSummary, ArtifactVersion, BlobSource, CollectionDetail, CollectionMeta, CollectionPage,
    CollectionRef, CollectionSummary, CountMode, Drift, EntitySpec, Facets, GroupSummary,
    ImportReport, MAX_NAME_LEN, MAX_PAGE_LIMIT, MembershipReport, NewArtifact, NewFile, PutOutcome,
    Stats, TagCount, Template, TemplateEntity, TemplateSpec, TemplateSummary, VariableDecl,
    validate_type,
};
pub use target::CatalogTarget;
