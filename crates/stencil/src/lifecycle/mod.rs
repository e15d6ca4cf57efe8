//! Keeping a deployed project in step with its template: the deployment
//! record every deploy writes, and the operations on top of it — `status`,
//! `diff`, `update` (a three-way merge per file), `undeploy`.
//!
//! # What `.stencil/` holds
//!
//! | path | what | commit it? |
//! |---|---|---|
//! | `.stencil/deployments/<template>.json` | the [`DeploymentRecord`] | yes |
//! | `.stencil/bases/xx/…` | rendered bases, content-addressed | yes |
//! | `.stencil/lock`, `.stencil/journal`, `.stencil/deploy-staging/` | a running (or interrupted) deploy | no: ignore them |
//!
//! The record and the bases a deploy writes are entries of the same deploy
//! plan as the files, so they commit atomically with them: after a crash a
//! project holds the old files and the old record, or the new files and
//! the new record.

mod bases;
mod commit;
mod decide;
mod deferred;
mod deploying;
mod diff;
mod disk;
mod error;
mod merge;
mod record;
mod rendering;
mod revision;
mod status;
mod undeploy;
mod update;

pub use bases::{BASES_DIR, base_rel_path, read_base};
pub use decide::ConflictMode;
pub use deploying::deploy_templates;
pub use diff::{DiffEntry, DiffOptions, DiffReport, FileDiff, diff, upstream_diff};
pub use error::LifecycleError;
pub use merge::{Merged, merge3, unified_diff};
pub use record::{
    DEPLOYMENTS_DIR, DeploymentRecord, FileKind, Origin, RecordSource, RecordedArtifact,
    RecordedFile, SCHEMA_VERSION, read_record, read_records, record_rel_path,
};
pub use revision::{artifact_digest, sha256_hex, template_revision};
pub use status::{
    DeploymentStatus, FileState, FileStatus, StatusReport, Upstream, UpstreamChange, status,
};
pub use undeploy::{UndeployOptions, UndeployReport, undeploy};
pub use update::{Conflict, UpdateAction, UpdateOptions, UpdateReport, UpdatedFile, update};
