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
///
/// // A custom root is explicit; an unknown name is an error, not a folder.
/// let custom = PathProfile::custom("config/ai")?;
/// assert_eq!(custom.apply(".claude/rules/api.md"), "config/ai/rules/api.md");
/// assert!("codx".parse::<PathProfile>().is_err());
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

/// The names [`PathProfile`]'s `FromStr` accepts (a leading dot is also
/// accepted on the roots: `.codex`). `agents` is the custom root
/// `.agents`.
pub const PROFILE_NAMES: &[&str] = &["claude", "codex", "gemini", "cursor", "agents", "as-stored"];

impl FromStr for PathProfile {
    type Err = Error;

    /// `claude`, `codex`, `gemini`, `cursor`, `agents` (with or without the
    /// leading dot) or `as-stored`. Anything else is [`Error::UnknownProfile`]: a
    /// custom root is spelled explicitly, with [`PathProfile::custom`], so a
    /// typo (`--profile codx`) never becomes a folder named `codx`.
    fn from_str(s: &str) -> Result<PathProfile, Error> {
        let name = s
            .strip_prefix('.')
            .filter(|n| *n != "as-stored")
            .unwrap_or(s);
        Ok(match name {
            "claude" => PathProfile::Claude,
            "codex" => PathProfile::Codex,
            "gemini" => PathProfile::Gemini,
            "cursor" => PathProfile::Cursor,
            // The cross-assistant folder (`.agents/skills/…`), a custom root
            // under a name.
            "agents" => PathProfile::custom(".agents")?,
            "as-stored" => PathProfile::AsStored,
            _ => {
                return Err(Error::UnknownProfile {
                    name: s.to_string(),
                });
            }
        })
    }
}

impl fmt::Display for PathProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.root().unwrap_or("as-stored"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_or_without_the_dot() {
        for (name, profile) in [
            ("claude", PathProfile::Claude),
            (".codex", PathProfile::Codex),
            ("gemini", PathProfile::Gemini),
            (".cursor", PathProfile::Cursor),
            ("as-stored", PathProfile::AsStored),
        ] {
            assert_eq!(name.parse::<PathProfile>().unwrap(), profile, "{name}");
        }
        for name in ["agents", ".agents"] {
            assert_eq!(
                name.parse::<PathProfile>().unwrap().root(),
                Some(".agents"),
                "{name}"
            );
        }
    }

    #[test]
    fn an_unknown_name_is_an_error_listing_the_known_ones() {
        for name in ["codx", "bogus", "config/ai", "", "."] {
            let err = name.parse::<PathProfile>().unwrap_err();
            assert!(
                matches!(&err, Error::UnknownProfile { name: n } if n == name),
                "{name}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!(
                    "unknown profile `{name}`; known profiles: claude, codex, gemini, cursor, agents, as-stored"
                )
            );
        }
    }
}
