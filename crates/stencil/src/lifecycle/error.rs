//! What the lifecycle operations (status, diff, update, undeploy) can fail with.

use std::path::PathBuf;

use crate::render::RenderError;

/// An error of [`status`](crate::lifecycle::status),
/// [`diff`](crate::lifecycle::diff), [`update`](crate::lifecycle::update) or
/// [`undeploy`](crate::lifecycle::undeploy). Each variant names what and
/// where; none leaves anything half-done on disk.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// Reading or inspecting a file failed.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A deployment record does not parse or comes from a newer stencil.
    #[error("deployment record `{}` is unreadable: {reason}", path.display())]
    Record {
        /// The record file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The project has no deployment of the template asked for (or none at all).
    #[error("{}", match template {
        Some(t) => format!("no deployment of template `{t}` in `{}` (deploy it first, or see `stencil status`)", project.display()),
        None => format!("no deployment recorded in `{}` (nothing under .stencil/deployments/)", project.display()),
    })]
    NotDeployed {
        /// The project.
        project: PathBuf,
        /// The template asked for, if one was.
        template: Option<String>,
    },
    /// Several templates are deployed and the operation needs one named.
    #[error("`{}` holds deployments of {}: name one with --template", project.display(), templates.join(", "))]
    AmbiguousTemplate {
        /// The project.
        project: PathBuf,
        /// The deployed templates.
        templates: Vec<String>,
    },
    /// A rendered base the record names is not in `.stencil/bases/`.
    #[error("base {key} of this deployment is missing at `{}`: commit `.stencil/bases/` with the project (or redeploy with --overwrite to start afresh)", path.display())]
    MissingBase {
        /// Where it should be.
        path: PathBuf,
        /// Its key.
        key: String,
    },
    /// A stored base does not hash to its name: it was edited or damaged.
    #[error("base {key} at `{}` is corrupt (its content does not match its hash)", path.display())]
    CorruptBase {
        /// Where it is.
        path: PathBuf,
        /// Its key.
        key: String,
    },
    /// A secret the deployment used was not given again.
    #[error("template `{template}` was deployed with secret{} {}: give {} again with --secret NAME=VALUE (secrets are never stored)",
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" })]
    MissingSecret {
        /// The template.
        template: String,
        /// The secrets not given, sorted.
        names: Vec<String>,
    },
    /// A path is claimed by two deployments.
    #[error(
        "`{path}` is managed by template `{owner}`; template `{template}` cannot also deploy it"
    )]
    Claimed {
        /// The path.
        path: String,
        /// The deployment holding it.
        owner: String,
        /// The template that wanted it.
        template: String,
    },
    /// Rendering failed (variables, strict placeholders).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Loading, rendering or placing the template failed.
    #[error(transparent)]
    Stencil(#[from] crate::Error),
}

impl LifecycleError {
    pub(crate) fn io(action: &'static str, path: PathBuf, source: std::io::Error) -> Self {
        LifecycleError::Io {
            action,
            path,
            source,
        }
    }
}
