//! Rendering a template for a record: the real bytes (secrets filled in)
//! that go to disk, and the masked bytes (each secret left as its
//! `{{NAME}}`) that become the base, so no secret reaches `.stencil/`.

use std::collections::{BTreeMap, BTreeSet};

use crate::lifecycle::LifecycleError;
use crate::lifecycle::record::DeploymentRecord;
use crate::store::Template;
use crate::template::render_loaded;
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
    let masked = render_loaded(template, &masked_vars, options)?;
    let real = if secrets.is_empty() {
        None
    } else if secrets.values().all(Option::is_some) {
        let given = plain.iter().map(|(k, v)| (k.clone(), v.clone())).chain(
            secrets
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default())),
        );
        Some(render_loaded(template, &spec.validate(given)?, options)?)
    } else {
        None
    };
    Ok(Renders {
        real,
        masked,
        variables,
    })
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
