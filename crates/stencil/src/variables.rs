//! Which variables a template needs a value for: the spec says which are
//! required and which have defaults; the files say which are used.

use std::collections::{BTreeMap, BTreeSet};

use crate::Error;
use crate::render::{RenderOptions, Renderer, VariableSpec};
use crate::spec::template_spec;
use crate::store::Template;

/// One variable a template accepts, and whether a deploy needs a value for
/// it ([`template_variables`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateVariable {
    /// Its name.
    pub name: String,
    /// The spec requires a value whether or not a file uses it (e.g.
    /// `PROJECT_NAME`).
    pub required: bool,
    /// The value used when none is given (`DATE`'s is today's date).
    pub default: Option<String>,
    /// The stored paths of the files whose path or content uses it, in
    /// deploy order (files copied verbatim and binary files do not count).
    pub used_in: Vec<String>,
    /// A strict deploy of the whole template fails without a value: it is
    /// required, or some file uses it and it has no default.
    pub needs_value: bool,
}

/// Every variable `template` accepts, sorted by name, with its default and
/// the files that use it.
///
/// Files are scanned with the renderer itself (leniently, with no values),
/// so "uses" means exactly what a deploy would substitute.
///
/// # Errors
///
/// [`Error::Render`] when a declared name is not a valid variable name.
pub fn template_variables(template: &Template) -> Result<Vec<TemplateVariable>, Error> {
    let spec = template_spec(template)?;
    let required: BTreeSet<&str> = spec.required().collect();
    // Validating with a stand-in for each required name fills in exactly the
    // defaults (fixed and computed).
    let filled = spec.validate(required.iter().map(|n| (*n, "x")))?;
    let scanner = Renderer::new(
        &VariableSpec::open().validate(Vec::<(String, String)>::new())?,
        RenderOptions::new().lenient(),
    )?;
    let mut used: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entity in &template.entities {
        for file in &entity.files {
            let mut names = BTreeSet::new();
            let (_, summary) = scanner.render_with_summary(&file.path, file.path.as_bytes())?;
            names.extend(summary.left.into_iter().map(|l| l.name));
            if !file.verbatim && !Renderer::is_binary(&file.content) {
                let (_, summary) = scanner.render_with_summary(&file.path, &file.content)?;
                names.extend(summary.left.into_iter().map(|l| l.name));
            }
            for name in names {
                used.entry(name).or_default().push(file.path.clone());
            }
        }
    }
    Ok(spec
        .declared()
        .map(|name| {
            let is_required = required.contains(name);
            let default = if is_required {
                None
            } else {
                filled.get(name).map(str::to_string)
            };
            let used_in = used.remove(name).unwrap_or_default();
            let needs_value = is_required || (!used_in.is_empty() && default.is_none());
            TemplateVariable {
                name: name.to_string(),
                required: is_required,
                default,
                used_in,
                needs_value,
            }
        })
        .collect())
}
