//! Rendering a template for a record: the real bytes (secrets filled in)
//! that go to disk, and the masked bytes (each secret left as its
//! `{{NAME}}`) that become the base, so no secret reaches `.stencil/`.

use std::collections::{BTreeMap, BTreeSet};

use crate::lifecycle::LifecycleError;
use crate::lifecycle::record::DeploymentRecord;
use std::sync::Arc;

use crate::render::Renderer;
use crate::render_files::{FileSource, render_each};
use crate::store::{ArtifactFile, Template};
use crate::{PathProfile, RenderedFile, TemplateDeployOptions, template_spec};

/// The value a secret has in a masked render: its own placeholder, inserted
/// byte for byte (values are never rescanned), so the masked bytes hold
/// `{{NAME}}` exactly where the secret's value went.
pub(crate) fn mask(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

/// Renders `template` with `plain` variables and secrets: real bytes when
/// every secret's value is given, else `None`; masked bytes always.
pub(crate) struct Renders {
    /// With secret values, when all were given.
    pub real: Option<Vec<RenderedFile>>,
    /// With every secret masked; the same files in the same order.
    pub masked: Vec<RenderedFile>,
    /// The ordinary variables as used (defaults filled in), for the record.
    pub variables: BTreeMap<String, String>,
}

pub(crate) fn render_both(
    template: &Template,
    plain: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, Option<String>>,
    options: &TemplateDeployOptions,
) -> Result<Renders, crate::Error> {
    let mut masked = Vec::new();
    let mut real = Vec::new();
    let mut has_real = false;
    let variables = render_both_each(
        template,
        plain,
        secrets,
        options,
        FileSource::Loaded,
        &mut |renderers| has_real = renderers.len() > 1,
        &mut |file| {
            masked.push(file.masked);
            real.extend(file.real);
            Ok(())
        },
    )?;
    Ok(Renders {
        real: has_real.then_some(real),
        masked,
        variables,
    })
}

/// One file of [`render_both_each`]: its masked rendering, and the real one
/// when every secret's value was given.
pub(crate) struct BothRendered<'t> {
    pub masked: RenderedFile,
    pub real: Option<RenderedFile>,
    /// The stored file.
    pub stored: &'t ArtifactFile,
}

impl BothRendered<'_> {
    /// The rendering that goes to disk.
    pub fn disk(&self) -> &RenderedFile {
        self.real.as_ref().unwrap_or(&self.masked)
    }
}

/// [`render_both`] file by file, each file's bytes read from `source` and
/// handed to `on_file` before the next is read. `renderers` receives the
/// content renderers once, masked first, then real (when rendered). Returns
/// the ordinary variables as used, for the record.
pub(crate) fn render_both_each<'t>(
    template: &'t Template,
    plain: &BTreeMap<String, String>,
    secrets: &BTreeMap<String, Option<String>>,
    options: &TemplateDeployOptions,
    source: FileSource<'_>,
    renderers: &mut dyn FnMut(&[Arc<Renderer>]),
    on_file: &mut dyn FnMut(BothRendered<'t>) -> Result<(), crate::Error>,
) -> Result<BTreeMap<String, String>, crate::Error> {
    let spec = template_spec(template)?;
    let masked_given = plain
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(secrets.keys().map(|k| (k.clone(), mask(k))));
    let masked_vars = spec.validate(masked_given)?;
    let variables = masked_vars
        .iter()
        .filter(|(k, _)| !secrets.contains_key(*k))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let real_vars = if secrets.is_empty() || !secrets.values().all(Option::is_some) {
        None
    } else {
        let given = plain.iter().map(|(k, v)| (k.clone(), v.clone())).chain(
            secrets
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())),
        );
        Some(spec.validate(given)?)
    };
    let mut sets = vec![&masked_vars];
    sets.extend(real_vars.as_ref());
    render_each(template, &sets, options, source, renderers, &mut |set| {
        let mut files = set.files.into_iter();
        let (Some(masked), real) = (files.next(), files.next()) else {
            return Ok(());
        };
        on_file(BothRendered {
            masked,
            real,
            stored: set.stored,
        })
    })?;
    Ok(variables)
}

impl Renders {
    /// The bytes that go to disk: the real render, or the masked one when
    /// there are no secrets (then they are the same).
    pub fn disk(&self) -> &[RenderedFile] {
        self.real.as_deref().unwrap_or(&self.masked)
    }
}

/// The options a record was deployed with: its profile, selection and
/// leniency (the deploy crate's options are the caller's).
pub(crate) fn record_options(
    record: &DeploymentRecord,
) -> Result<TemplateDeployOptions, LifecycleError> {
    let profile: PathProfile = record.profile.parse().map_err(LifecycleError::Stencil)?;
    let mut options = TemplateDeployOptions::new()
        .profile(profile)
        .lenient(record.lenient);
    if let Some(selection) = &record.selection {
        options = options.select(selection.iter().cloned());
    }
    Ok(options)
}

/// Secrets for a re-render of `record`: every recorded name must be given
/// (`--secret`) when `need_values`, else missing ones are masked only.
pub(crate) fn record_secrets(
    record: &DeploymentRecord,
    given: &[(String, String)],
    need_values: bool,
) -> Result<BTreeMap<String, Option<String>>, LifecycleError> {
    let given: BTreeMap<&str, &str> = given
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let names: BTreeSet<&str> = record
        .secrets
        .iter()
        .map(String::as_str)
        .chain(given.keys().copied())
        .collect();
    let missing: Vec<String> = record
        .secrets
        .iter()
        .filter(|n| !given.contains_key(n.as_str()))
        .cloned()
        .collect();
    if need_values && !missing.is_empty() {
        return Err(LifecycleError::MissingSecret {
            template: record.template.clone(),
            names: missing,
        });
    }
    Ok(names
        .into_iter()
        .map(|n| (n.to_string(), given.get(n).map(|v| v.to_string())))
        .collect())
}
