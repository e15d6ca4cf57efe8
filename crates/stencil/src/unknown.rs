//! Every unknown placeholder of a strict deploy, gathered so one error
//! names them all (instead of one per run).

use std::fmt;

use crate::FilePart;
use crate::render::{LeftPlaceholder, RenderOptions, Renderer, UnknownPolicy, Variables};

/// How many unknown placeholders [`Error::UnknownPlaceholders`] lists; the
/// rest are only counted.
///
/// [`Error::UnknownPlaceholders`]: crate::Error::UnknownPlaceholders
pub const UNKNOWN_PLACEHOLDER_LIMIT: usize = 50;

/// One unknown placeholder met by a strict render.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnknownPlaceholder {
    /// The artifact holding the file (`type:name`).
    pub artifact: String,
    /// The file's path as stored in the catalogue.
    pub stored_path: String,
    /// The file's path in the project (after the profile; for a placeholder
    /// in the path itself, the path as profiled, unrendered).
    pub file: String,
    /// In the file's path or its content.
    pub part: FilePart,
    /// 1-based line of its first `{`.
    pub line: usize,
    /// 1-based column of its first `{`, in characters.
    pub column: usize,
    /// The name between the braces.
    pub name: String,
    /// True when the template declares the name but it has no value.
    pub declared: bool,
}

impl fmt::Display for UnknownPlaceholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: `{{{{{}}}}}`",
            self.file, self.line, self.column, self.name
        )?;
        if self.part == FilePart::Path {
            f.write_str(" (in the path)")?;
        }
        Ok(())
    }
}

/// Collects unknown placeholders across files; keeps the first
/// [`UNKNOWN_PLACEHOLDER_LIMIT`] and counts all.
pub(crate) struct UnknownCollector<'v> {
    vars: &'v Variables,
    lenient: Option<Renderer>,
    pub(crate) found: Vec<UnknownPlaceholder>,
    pub(crate) total: usize,
}

/// Where a file comes from, for the placeholders found in it.
pub(crate) struct FileOrigin<'a> {
    pub(crate) artifact: &'a str,
    pub(crate) stored_path: &'a str,
    pub(crate) file: &'a str,
    pub(crate) part: FilePart,
}

impl<'v> UnknownCollector<'v> {
    pub(crate) fn new(vars: &'v Variables) -> Self {
        UnknownCollector {
            vars,
            lenient: None,
            found: Vec::new(),
            total: 0,
        }
    }

    /// Renders `input` leniently to find every unknown placeholder in it
    /// (called after a strict render of it failed on one).
    pub(crate) fn scan(
        &mut self,
        origin: &FileOrigin<'_>,
        input: &[u8],
    ) -> Result<(), crate::render::RenderError> {
        if self.lenient.is_none() {
            self.lenient = Some(Renderer::new(
                self.vars,
                RenderOptions::new().unknown(UnknownPolicy::Lenient),
            )?);
        }
        let Some(renderer) = self.lenient.as_ref() else {
            return Ok(());
        };
        let (_, summary) = renderer.render_with_summary(origin.file, input)?;
        for left in summary.left {
            self.add(origin, left);
        }
        Ok(())
    }

    fn add(&mut self, origin: &FileOrigin<'_>, left: LeftPlaceholder) {
        self.total += 1;
        if self.found.len() < UNKNOWN_PLACEHOLDER_LIMIT {
            let declared = self.vars.unset().any(|n| n == left.name);
            self.found.push(UnknownPlaceholder {
                artifact: origin.artifact.to_string(),
                stored_path: origin.stored_path.to_string(),
                file: origin.file.to_string(),
                part: origin.part,
                line: left.line,
                column: left.column,
                name: left.name,
                declared,
            });
        }
    }
}

/// The message of [`Error::UnknownPlaceholders`](crate::Error::UnknownPlaceholders):
/// a count, then the placeholders grouped by file.
pub(crate) fn describe(found: &[UnknownPlaceholder], total: usize) -> String {
    let mut out = format!(
        "{total} unknown placeholder{}:",
        if total == 1 { "" } else { "s" }
    );
    let mut current: Option<&str> = None;
    for u in found {
        if current != Some(u.file.as_str()) {
            if current.is_some() {
                out.push(';');
            }
            out += &format!(" {}:", u.file);
            current = Some(&u.file);
        } else {
            out.push(',');
        }
        out += &format!(" {}:{} `{{{{{}}}}}`", u.line, u.column, u.name);
        if u.part == FilePart::Path {
            out += " (in the path)";
        }
        if u.declared {
            out += " (declared, no value)";
        }
    }
    if total > found.len() {
        out += &format!("; and {} more", total - found.len());
    }
    out
}
