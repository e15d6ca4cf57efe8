//! Names and keys: what the catalogue accepts as an artifact key, a type,
//! a display name, a variable name and a file path.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Longest accepted artifact type, name, collection, group, tag or template name.
pub const MAX_NAME_LEN: usize = 200;

/// The natural key of an artifact: `type:name`, for example `skill:review`.
///
/// The type matches `[a-z][a-z0-9_]*` (common ones: `skill`, `command`,
/// `agent`, `rule_file`, `context_file`, `hook`, `mcp`, `workflow`); the name
/// is any non-empty text without control characters or surrounding spaces,
/// and may itself contain `:` (the key splits at the first one).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct ArtifactKey {
    /// Borrowed for the common types, so a key read from the catalogue
    /// allocates only its name (a listing page reads one per row).
    kind: Cow<'static, str>,
    name: String,
}

/// The types named above, shared by every key read with one of them.
const COMMON_TYPES: [&str; 8] = [
    "skill",
    "command",
    "agent",
    "rule_file",
    "context_file",
    "hook",
    "mcp",
    "workflow",
];

impl ArtifactKey {
    /// Builds a key from its type and name, validating both.
    pub fn new(kind: impl Into<String>, name: impl Into<String>) -> Result<Self> {
        let (kind, name) = (kind.into(), name.into());
        validate_type(&kind)?;
        validate_name("artifact name", &name)?;
        Ok(ArtifactKey {
            kind: Cow::Owned(kind),
            name,
        })
    }

    /// A key read from the catalogue: the type borrowed from the row, the
    /// name owned; both validated as by [`ArtifactKey::new`] (the file may
    /// have been written by something else). A common type is not copied.
    pub(crate) fn stored(kind: &str, name: String) -> Result<Self> {
        let kind = match COMMON_TYPES.iter().find(|t| **t == kind) {
            Some(common) => Cow::Borrowed(*common),
            None => {
                validate_type(kind)?;
                Cow::Owned(kind.to_owned())
            }
        };
        validate_name("artifact name", &name)?;
        Ok(ArtifactKey { kind, name })
    }

    /// Parses `type:name`.
    pub fn parse(key: &str) -> Result<Self> {
        let Some((kind, name)) = key.split_once(':') else {
            return Err(Error::invalid(
                "artifact key",
                key,
                "expected `type:name`, for example `skill:review`",
            ));
        };
        ArtifactKey::new(kind, name)
    }

    /// The artifact type, for example `skill`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The artifact name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.name)
    }
}

impl FromStr for ArtifactKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ArtifactKey::parse(s)
    }
}

/// Checks an artifact type against `[a-z][a-z0-9_]*`.
pub fn validate_type(kind: &str) -> Result<()> {
    let mut chars = kind.chars();
    let ok = matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && kind.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "artifact type",
            kind,
            "a type is 1 to 64 characters of `[a-z][a-z0-9_]*`, for example `skill` or `rule_file`",
        ))
    }
}

/// Checks a display name (artifact, collection, group, tag, template).
pub(crate) fn validate_name(what: &'static str, name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_NAME_LEN {
        "it is longer than 200 bytes"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else if name.trim() != name {
        "it starts or ends with whitespace"
    } else {
        return Ok(());
    };
    Err(Error::invalid(what, name, reason))
}

/// Checks a template variable name against `[A-Za-z_][A-Za-z0-9_]*`, the
/// placeholder grammar of `stencil-render`.
pub(crate) fn validate_variable(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some('A'..='Z' | 'a'..='z' | '_'))
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "template variable",
            name,
            "a variable name is `[A-Za-z_][A-Za-z0-9_]*`, at most 128 characters",
        ))
    }
}

/// Checks a file's relative target path. Deeper checks (reserved names,
/// symlinks) happen at deploy time in `stencil-deploy`; the catalogue only
/// refuses what can never be a relative path inside a project.
pub(crate) fn validate_file_path(path: &str) -> Result<()> {
    let reason = if path.is_empty() {
        "it is empty"
    } else if path.starts_with('/') || path.starts_with('\\') {
        "it is absolute; give a path relative to the project root"
    } else if path.contains('\0') {
        "it contains a NUL byte"
    } else if path.contains('\\') {
        "it contains a backslash; separate components with `/`"
    } else if path
        .split('/')
        .any(|c| c == ".." || c == "." || c.is_empty())
    {
        "it has an empty, `.` or `..` component"
    } else {
        return Ok(());
    };
    Err(Error::invalid("file path", path, reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_as_type_colon_name() {
        let key = ArtifactKey::parse("rule_file:a:b").unwrap();
        assert_eq!((key.kind(), key.name()), ("rule_file", "a:b"));
        assert_eq!(key.to_string(), "rule_file:a:b");
        for bad in [
            "noseparator",
            ":x",
            "Skill:x",
            "9x:y",
            "sk-ill:x",
            "skill:",
            "skill: x",
        ] {
            assert!(ArtifactKey::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn file_paths_reject_escapes_but_accept_dotted_names() {
        for good in [".claude/x.md", "notes..md", "{{NAME}}/a.txt", "a/b/c"] {
            validate_file_path(good).unwrap();
        }
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "..",
            "a//b",
            "a\\b",
            "./a",
            "a\0",
        ] {
            assert!(validate_file_path(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn variable_names_follow_the_placeholder_grammar() {
        for good in ["NAME", "_x", "a1_B"] {
            validate_variable(good).unwrap();
        }
        for bad in ["", "1A", "A-B", "A B"] {
            assert!(validate_variable(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
