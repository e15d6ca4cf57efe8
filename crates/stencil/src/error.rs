use crate::deploy::{DeployError, PathError, PlanError};
use crate::import::ImportError;
use crate::render::RenderError;
use crate::store;

/// Everything [`deploy_template`](crate::deploy_template) and
/// [`render_template`](crate::render_template) can fail with. Each variant
/// says what went wrong and where; none leaves anything on disk.
///
/// The [`import`](crate::import) functions return the narrower
/// [`ImportError`], which converts into this type with `?`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The catalogue failed: not found, corrupt blob, database error…
    #[error(transparent)]
    Store(#[from] store::Error),
    /// Variables did not validate, or a placeholder is unknown in strict mode.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The selection leaves out entities the template requires.
    #[error(
        "template `{template}` requires {} that the selection leaves out: {}",
        if missing.len() == 1 { "an entity" } else { "entities" },
        keys(missing)
    )]
    MissingRequired {
        /// The template.
        template: String,
        /// The required entities not selected, in deploy order.
        missing: Vec<String>,
    },
    /// The selection names artifacts the template does not hold.
    #[error("template `{template}` has no entit{} {}", if unknown.len() == 1 { "y" } else { "ies" }, keys(unknown))]
    UnknownEntity {
        /// The template.
        template: String,
        /// The selected keys the template does not hold, as given.
        unknown: Vec<String>,
    },
    /// A file's path, once rendered and profiled, is not a safe relative path
    /// (a variable such as `PROJECT_NAME=../x` cannot escape the project).
    #[error("artifact `{artifact}`: file path `{path}` is not allowed: {source}")]
    Path {
        /// The artifact holding the file.
        artifact: String,
        /// The path after profile rewrite and rendering.
        path: String,
        /// Why it was refused.
        source: PathError,
    },
    /// Two files map to the same path (also after case folding), or a file
    /// and a directory collide.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The deploy failed and was rolled back.
    #[error(transparent)]
    Deploy(#[from] DeployError),
    /// A tree import failed (see [`ImportError`]).
    #[error(transparent)]
    Import(#[from] ImportError),
    /// Reading or writing the project's deployment records failed, or a
    /// path is claimed by another deployment.
    #[error(transparent)]
    Lifecycle(Box<crate::lifecycle::LifecycleError>),
    /// A custom profile root is not a safe relative path.
    #[error("profile root `{root}` is not allowed: {source}")]
    Profile {
        /// The root as given.
        root: String,
        /// Why it was refused.
        source: PathError,
    },
}

fn keys(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<crate::lifecycle::LifecycleError> for Error {
    fn from(e: crate::lifecycle::LifecycleError) -> Self {
        Error::Lifecycle(Box::new(e))
    }
}
