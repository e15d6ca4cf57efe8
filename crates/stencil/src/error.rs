use std::fmt;
use std::path::PathBuf;

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
    /// The variables did not validate against the template's spec, or the
    /// template declares an invalid variable name. (A file that does not
    /// render is [`Error::RenderFile`].)
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A file's path or content did not render (unknown placeholders are
    /// [`Error::UnknownPlaceholders`] instead). Names the artifact and the file as stored, so a caller
    /// can point at it (e.g. to mark it verbatim) without reloading the
    /// template.
    #[error("{source} (in the {part} of `{file}`, artifact `{artifact}`)")]
    RenderFile {
        /// The artifact holding the file (`type:name`).
        artifact: String,
        /// The file's path as stored in the catalogue (before profile and
        /// rendering).
        file: String,
        /// Whether its path or its content failed.
        part: FilePart,
        /// What the renderer reported; its `file`, line and column refer to
        /// the file's path in the project (after the profile). Boxed to
        /// keep this type small.
        source: Box<RenderError>,
    },
    /// A strict render met placeholders without a value: every one of the
    /// whole template (paths and contents), the first
    /// [`UNKNOWN_PLACEHOLDER_LIMIT`](crate::UNKNOWN_PLACEHOLDER_LIMIT) listed
    /// in deploy order, all counted. Nothing was written.
    #[error("{}", crate::unknown::describe(placeholders, *total))]
    UnknownPlaceholders {
        /// The first placeholders found, in deploy order, file by file.
        placeholders: Vec<crate::UnknownPlaceholder>,
        /// How many there are in all (at least `placeholders.len()`).
        total: usize,
        /// The names that do have a value, sorted.
        known: Vec<String>,
    },
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
    /// An artifact that runs code (a hook, an MCP configuration) has no
    /// place in this profile's assistant (see
    /// [`is_executable_content`](crate::is_executable_content)).
    #[error(
        "artifact `{artifact}` cannot be deployed with profile `{profile}`: {reason}; \
         leave it out of the selection or deploy with the claude profile"
    )]
    NoTarget {
        /// The artifact.
        artifact: String,
        /// The profile.
        profile: String,
        /// Why there is no sensible place for it.
        reason: &'static str,
    },
    /// A template's file has no place in a plugin (a rule file, settings):
    /// [`export_plugin`](crate::export_plugin) refuses it.
    #[error(
        "artifact `{artifact}`: file `{path}` has no place in a plugin (a plugin holds \
         agents/, commands/, skills/, hooks, .mcp.json and top-level context files); leave \
         the artifact out of the template to export it"
    )]
    NoPluginPlace {
        /// The artifact.
        artifact: String,
        /// The file's stored path.
        path: String,
    },
    /// The export directory exists; an export only writes a new one.
    #[error("{} exists; give a directory that does not exist yet", dir.display())]
    ExportExists {
        /// The directory.
        dir: PathBuf,
    },
    /// Writing the plugin failed; nothing was left behind.
    #[error("cannot export to {}: {what}: {source}", dir.display())]
    Export {
        /// The directory.
        dir: PathBuf,
        /// The step that failed.
        what: &'static str,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The name given to an exported plugin is not a plugin name.
    #[error("cannot export as plugin: {reason}")]
    PluginName {
        /// The name.
        name: String,
        /// Why it was refused.
        reason: String,
    },
    /// A profile name is not one of [`PROFILE_NAMES`](crate::PROFILE_NAMES)
    /// (a custom root is made with
    /// [`PathProfile::custom`](crate::PathProfile::custom)).
    #[error("unknown profile `{name}`; known profiles: {}", crate::PROFILE_NAMES.join(", "))]
    UnknownProfile {
        /// The name as given.
        name: String,
    },
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

/// Which part of a file did not render ([`Error::RenderFile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FilePart {
    /// Its path (paths are always rendered strictly: a placeholder left in
    /// a path would name a file `{{X}}`).
    Path,
    /// Its content.
    Content,
}

impl fmt::Display for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FilePart::Path => "path",
            FilePart::Content => "content",
        })
    }
}

impl From<crate::lifecycle::LifecycleError> for Error {
    fn from(e: crate::lifecycle::LifecycleError) -> Self {
        Error::Lifecycle(Box::new(e))
    }
}
