//! The format's rules for package kinds, names and tags.
//!
//! They are the registry's own rules (this crate knows nothing of the
//! catalogue) and were chosen to accept every artifact type and name the
//! catalogue accepts, so any catalogue entry can be published.

use crate::error::ErrorKind;

/// The longest name or tag, in bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// The longest kind, in bytes.
pub const MAX_KIND_BYTES: usize = 64;

/// A kind is `[a-z][a-z0-9_]*`, at most 64 bytes: `template`, `skill`.
pub(crate) fn validate_kind(kind: &str) -> Result<(), ErrorKind> {
    let mut chars = kind.chars();
    let ok = matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && kind.len() <= MAX_KIND_BYTES;
    if ok {
        Ok(())
    } else {
        Err(bad(
            kind,
            "a kind is 1 to 64 characters of `[a-z][a-z0-9_]*`",
        ))
    }
}

/// A name or tag is 1 to 200 bytes of UTF-8 without control characters and
/// without leading or trailing whitespace.
pub(crate) fn validate_name(name: &str) -> Result<(), ErrorKind> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_NAME_BYTES {
        "it is longer than 200 bytes"
    } else if name.chars().any(char::is_control) {
        "it contains a control character"
    } else if name.trim() != name {
        "it starts or ends with whitespace"
    } else {
        return Ok(());
    };
    Err(bad(name, reason))
}

fn bad(name: &str, reason: &'static str) -> ErrorKind {
    ErrorKind::BadName {
        name: name.chars().take(80).collect(),
        reason,
    }
}
