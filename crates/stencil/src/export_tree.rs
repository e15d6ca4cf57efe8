//! The way out of the catalogue: an artifact, or every artifact of a
//! template, written back as a tree — each file at its stored path, its
//! stored bytes unrendered, executable files 0755 and others 0644 — so
//! importing the exported directory gives the same artifacts again.
//!
//! Writing goes through [`stencil_deploy::deploy`]: atomic, rolled back on
//! error, never outside the directory; a stored path that is not a safe
//! relative path is an [`Error::Path`].

use std::path::Path;

use crate::deploy::{self, DeployOptions, DeployPlan, DeployReport, RelPath};
use crate::store::{ArtifactKey, Catalog};
use crate::{EXECUTABLE_MODE, Error};

/// Writes the files of artifact `key` into `dir` (created if needed),
/// byte for byte, with their modes. `options` decides about existing files
/// (e.g. [`OverwritePolicy::Fail`](crate::deploy::OverwritePolicy::Fail))
/// and dry runs.
///
/// # Errors
///
/// [`Error::Store`] when the artifact does not exist; [`Error::Path`],
/// [`Error::Plan`] or [`Error::Deploy`] when a file cannot be placed.
pub fn export_artifact(
    catalog: &Catalog,
    key: &ArtifactKey,
    dir: impl AsRef<Path>,
    options: &DeployOptions,
) -> Result<DeployReport, Error> {
    let artifact = catalog.artifact(key)?;
    let mut plan = DeployPlan::new(dir.as_ref());
    let owner = key.to_string();
    for file in artifact.files {
        add(&mut plan, &owner, &file.path, file.content, file.executable)?;
    }
    Ok(deploy::deploy(&plan, options)?)
}

/// Writes the files of every artifact of template `name` into `dir`, as
/// [`export_artifact`] does for one (two artifacts writing the same path
/// are an [`Error::Plan`]).
///
/// # Errors
///
/// As [`export_artifact`]; [`Error::Store`] when the template does not
/// exist.
pub fn export_template(
    catalog: &Catalog,
    name: &str,
    dir: impl AsRef<Path>,
    options: &DeployOptions,
) -> Result<DeployReport, Error> {
    let template = catalog.load_template(name)?;
    let mut plan = DeployPlan::new(dir.as_ref());
    for entity in template.entities {
        let owner = entity.artifact.to_string();
        for file in entity.files {
            add(&mut plan, &owner, &file.path, file.content, file.executable)?;
        }
    }
    Ok(deploy::deploy(&plan, options)?)
}

fn add(
    plan: &mut DeployPlan,
    artifact: &str,
    path: &str,
    content: Vec<u8>,
    executable: bool,
) -> Result<(), Error> {
    let rel = RelPath::new(path).map_err(|source| Error::Path {
        artifact: artifact.to_string(),
        path: path.to_string(),
        source,
    })?;
    plan.add(
        rel,
        content,
        Some(if executable { EXECUTABLE_MODE } else { 0o644 }),
    )?;
    Ok(())
}
