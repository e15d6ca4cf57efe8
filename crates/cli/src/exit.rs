//! Exit code 3: the command ran, and what it found needs attention
//! (`status --check` saw a modified, deleted or outdated file; `update`
//! left or was aborted by conflicts). The output is printed as usual.

use std::fmt;

use crate::output::Output;

/// The exit code for "ran, but needs attention".
pub const ATTENTION: u8 = 3;

/// Returned as an error so the command's output is still printed, then the
/// process exits with [`ATTENTION`].
#[derive(Debug)]
pub struct NeedsAttention(pub Output);

impl fmt::Display for NeedsAttention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("needs attention")
    }
}

impl std::error::Error for NeedsAttention {}
