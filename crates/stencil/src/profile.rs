use std::fmt;
use std::str::FromStr;

use crate::Error;
use crate::deploy::RelPath;

/// The assistant-config roots a path profile knows. A file whose path starts
/// with one of them is moved under the chosen profile's root.
pub const KNOWN_ROOTS: &[&str] = &[".claude", ".codex", ".gemini", ".cursor", ".agents"];

/// Which assistant's folder a template's files land in.
///
/// Templates are usually written for one assistant (`.claude/rules/api.md`);
/// a profile rewrites a leading known root (see [`KNOWN_ROOTS`]) to another
/// (`.codex/rules/api.md`). Bare file names (`CLAUDE.md`) and other paths are
/// untouched.
///
/// ```
/// use stencil::PathProfile;
///
/// let codex: PathProfile = "codex".parse()?;
/// assert_eq!(codex.apply(".claude/rules/api.md"), ".codex/rules/api.md");
/// assert_eq!(codex.apply("CLAUDE.md"), "CLAUDE.md");
/// assert_eq!(codex.apply("docs/.claude/x"), "docs/.claude/x");
/// assert_eq!(PathProfile::AsStored.apply(".claude/x"), ".claude/x");
/// # Ok::<(), stencil::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PathProfile {
    /// Keep paths as stored in the catalogue.
    #[default]
    AsStored,
    /// `.claude/`
    Claude,
    /// `.codex/`
    Codex,
    /// `.gemini/`
    Gemini,
    /// `.cursor/`
    Cursor,
    /// A custom root, validated like any path (build it with
    /// [`PathProfile::custom`]).
    Custom(RelPath),
}

impl PathProfile {
    /// A custom root such as `.assistant` or `config/ai`.
    ///
    /// # Errors
    ///
    /// [`Error::Profile`] when the root is not a safe relative path.
    pub fn custom(root: &str) -> Result<PathProfile, Error> {
        RelPath::new(root)
            .map(PathProfile::Custom)
            .map_err(|source| Error::Profile {
                root: root.to_string(),
                source,
            })
    }

    /// The root this profile writes to, or `None` for [`AsStored`](Self::AsStored).
    pub fn root(&self) -> Option<&str> {
        match self {
            PathProfile::AsStored => None,
            PathProfile::Claude => Some(".claude"),
            PathProfile::Codex => Some(".codex"),
            PathProfile::Gemini => Some(".gemini"),
            PathProfile::Cursor => Some(".cursor"),
            PathProfile::Custom(root) => Some(root.as_str()),
        }
    }

    /// Rewrites a leading known root of `path` to this profile's root.
    pub fn apply(&self, path: &str) -> String {
        let Some(root) = self.root() else {
            return path.to_string();
        };
        let trimmed = path.trim_start_matches("./");
        for known in KNOWN_ROOTS {
            if let Some(rest) = trimmed.strip_prefix(known)
                && rest.starts_with('/')
            {
                return format!("{root}{rest}");
            }
        }
        path.to_string()
    }
}

impl FromStr for PathProfile {
    type Err = Error;

    /// `claude`, `codex`, `gemini`, `cursor` (with or without the leading
    /// dot), `as-stored`, or any other safe relative path as a custom root.
    fn from_str(s: &str) -> Result<PathProfile, Error> {
        Ok(match s.trim_start_matches('.') {
            "claude" => PathProfile::Claude,
            "codex" => PathProfile::Codex,
            "gemini" => PathProfile::Gemini,
            "cursor" => PathProfile::Cursor,
            // The cross-assistant folder (`.agents/skills/…`): a custom
            // root, spelled without its dot like the others.
            "agents" => PathProfile::custom(".agents")?,
            "as-stored" | "" if s == "as-stored" => PathProfile::AsStored,
            _ => PathProfile::custom(s)?,
        })
    }
}

impl fmt::Display for PathProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root().unwrap_or("as-stored"))
    }
}
