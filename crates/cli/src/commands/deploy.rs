//! `stencil deploy TEMPLATE DIR --var K=V ...`

use anyhow::{Error, Result};
use serde::Serialize;
use stencil::deploy::{DeployEvent, DeployOptions, Durability, OverwritePolicy, RelPath};
use stencil::lifecycle::deploy_templates;
use stencil::render::RenderError;
use stencil::{
    FilePart, TemplateDeployOptions, TemplateDeployReport, UnknownPlaceholder, deploy_template,
};

use crate::args::DeployArgs;
use crate::context::Context;
use crate::failure::Explained;
use crate::output::{Output, Style, human_bytes};

/// The `--json` shape of `stencil deploy`.
#[derive(Debug, Serialize)]
pub struct DeploySummary {
    /// The template.
    pub template: String,
    /// The project directory.
    pub project: String,
    /// Nothing was written.
    pub dry_run: bool,
    /// Files created.
    pub written: Vec<String>,
    /// Files that existed and were left alone.
    pub skipped: Vec<String>,
    /// Of those, the ones already holding exactly the rendered content.
    pub skipped_identical: Vec<String>,
    /// The template was already deployed here.
    pub redeployed: bool,
    /// Files that existed and were replaced.
    pub overwritten: Vec<String>,
    /// Directories created, parents first.
    pub dirs_created: Vec<String>,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time.
    pub elapsed_ms: u128,
    /// Every file, in deploy order.
    pub files: Vec<FileSummary>,
    /// Placeholders a lenient deploy left as they were.
    pub left: Vec<Left>,
    /// The one-line summary.
    pub summary: String,
}

/// One deployed file.
#[derive(Debug, Serialize)]
pub struct FileSummary {
    /// The artifact it comes from.
    pub artifact: String,
    /// Its path in the project.
    pub path: String,
    /// Copied without rendering.
    pub verbatim: bool,
}

/// A placeholder left in a file.
#[derive(Debug, Serialize)]
pub struct Left {
    /// The file, relative to the project.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The placeholder as written, e.g. `{{NS}}`.
    pub placeholder: String,
}

impl DeploySummary {
    /// Builds the summary of a facade report.
    pub fn from_report(report: &TemplateDeployReport) -> DeploySummary {
        let paths = |v: &[RelPath]| v.iter().map(|p| p.as_str().to_string()).collect();
        let d = &report.deploy;
        DeploySummary {
            template: report.template.clone(),
            project: report.project.display().to_string(),
            dry_run: d.dry_run,
            written: paths(&d.written),
            skipped: paths(&d.skipped),
            skipped_identical: paths(&report.skipped_identical),
            redeployed: report.redeployed,
            overwritten: paths(&d.overwritten),
            dirs_created: paths(&d.dirs_created),
            bytes: d.bytes,
            elapsed_ms: d.elapsed.as_millis(),
            files: report
                .files
                .iter()
                .map(|f| FileSummary {
                    artifact: f.artifact.to_string(),
                    path: f.path.as_str().to_string(),
                    verbatim: f.verbatim,
                })
                .collect(),
            left: report
                .left
                .iter()
                .map(|(path, l)| Left {
                    file: path.as_str().to_string(),
                    line: l.line,
                    column: l.column,
                    placeholder: format!("{{{{{}}}}}", l.name),
                })
                .collect(),
            summary: report.summary_with(human_bytes),
        }
    }

    /// The text form: the summary, then what was skipped and what was left
    /// (and, if asked, what was written).
    pub fn human(&self, list_written: bool) -> String {
        let mut out = format!("{}\n", self.summary);
        let mut line = |what: &str, text: &str| out += &format!("  {what:<12} {text}\n");
        if list_written {
            let verb = if self.dry_run {
                "would write"
            } else {
                "written"
            };
            for p in &self.written {
                line(verb, p);
            }
            let verb = if self.dry_run {
                "would replace"
            } else {
                "overwritten"
            };
            for p in &self.overwritten {
                line(verb, p);
            }
        }
        let mut differing = 0;
        for p in &self.skipped {
            if self.skipped_identical.contains(p) {
                line("skipped", &format!("{p} (identical to the template)"));
            } else {
                differing += 1;
                line(
                    "skipped",
                    &format!("{p} (exists and differs; --overwrite replaces it)"),
                );
            }
        }
        for l in &self.left {
            line(
                "left",
                &format!("{}:{}:{}: {}", l.file, l.line, l.column, l.placeholder),
            );
        }
        if self.redeployed && differing > 0 {
            out += &format!(
                "  {differing} skipped file(s) differ from the template: `stencil update {}` \
                 brings the template's changes in and keeps your edits\n",
                self.project
            );
        }
        out
    }
}

/// Runs `stencil deploy`.
pub fn run(ctx: &Context, args: &DeployArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let overwrite = if args.overwrite {
        OverwritePolicy::Overwrite
    } else if args.fail_existing {
        OverwritePolicy::Fail
    } else {
        OverwritePolicy::Skip
    };
    // `--durable` flushes the deploy's own files and directories; `Batch`
    // would flush the whole file system (see `Durability`).
    let durability = if args.durable {
        Durability::PerFile
    } else {
        Durability::None
    };
    let mut deploy = DeployOptions::new()
        .overwrite(overwrite)
        .durability(durability)
        .dry_run(args.dry_run);
    let bar = ctx.style.bar(0, "deploying");
    if ctx.style.progress {
        let observer = bar.clone();
        let style = ctx.style;
        deploy = deploy.observer(move |event: &DeployEvent<'_>| match event {
            DeployEvent::Planned { to_place, .. } => style.show(&observer, *to_place as u64),
            DeployEvent::Placed { done, .. } => observer.set_position(*done as u64),
            _ => {}
        });
    }
    let mut options = TemplateDeployOptions::new()
        .lenient(args.lenient)
        .deploy_options(deploy);
    if let Some(profile) = args.profile.as_ref().or(args.profile_root.as_ref()) {
        options = options.profile(profile.clone());
    }
    if !args.only.is_empty() {
        options = options.select(args.only.iter().cloned());
    }
    for (k, v) in &args.secrets {
        options = options.secret(k.clone(), v.clone());
    }
    if !args.with.is_empty() {
        let templates: Vec<&str> = std::iter::once(args.template.as_str())
            .chain(args.with.iter().map(String::as_str))
            .collect();
        let result = deploy_templates(
            &catalog,
            &templates,
            &args.dir,
            args.vars.iter().cloned(),
            &options,
        );
        bar.finish_and_clear();
        let reports = result.map_err(|e| explain(e, &args.template))?;
        let summaries: Vec<DeploySummary> =
            reports.iter().map(DeploySummary::from_report).collect();
        let mut human = String::new();
        for summary in &summaries {
            human += &summary.human(args.dry_run);
            warn_left(&ctx.style, ctx.json, summary);
        }
        return Ok(Output::new(
            serde_json::json!({ "deployments": summaries }),
            human,
        ));
    }
    let result = deploy_template(
        &catalog,
        &args.template,
        &args.dir,
        args.vars.iter().cloned(),
        &options,
    );
    bar.finish_and_clear();
    let report = result.map_err(|e| explain(e, &args.template))?;
    let summary = DeploySummary::from_report(&report);
    let human = summary.human(args.dry_run);
    warn_left(&ctx.style, ctx.json, &summary);
    Ok(Output::new(&summary, human))
}

/// Lists placeholders left on stderr too, so nothing is silently accepted
/// even when stdout goes elsewhere.
fn warn_left(style: &Style, json: bool, summary: &DeploySummary) {
    if !json && !summary.left.is_empty() {
        eprintln!(
            "{} {} unknown placeholder(s) left as they were (--lenient)",
            style.warning_prefix(),
            summary.left.len()
        );
    }
}

/// Turns a facade error into one line that says how to proceed: the
/// library states what failed and where; the hints are the command line's.
pub fn explain(e: stencil::Error, template: &str) -> Error {
    // Unknown placeholders get their own sentence: the library lists them
    // (file, line:column); the hints name the flags and the files.
    if let stencil::Error::UnknownPlaceholders {
        placeholders,
        known,
        ..
    } = &e
    {
        let message = format!(
            "cannot deploy template `{template}`: {e} (known: {}); {}",
            quoted(known),
            how_to_proceed(placeholders)
        );
        return Explained::facade(message, e);
    }
    let hint = match &e {
        stencil::Error::Render(RenderError::MissingRequired { .. }) => {
            Some("give each with --var NAME=VALUE".to_string())
        }
        _ => None,
    };
    match hint {
        Some(hint) => Explained::facade(
            format!("cannot deploy template `{template}`: {e}; {hint}"),
            e,
        ),
        None => Error::new(e).context(format!("cannot deploy template `{template}`")),
    }
}

fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "(none)".to_string();
    }
    names
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ways on past unknown placeholders, the value first: `--var` for each
/// name; for placeholders in contents also `--lenient` and the verbatim
/// marks (a path is always rendered strictly, so neither helps there).
fn how_to_proceed(placeholders: &[UnknownPlaceholder]) -> String {
    let mut names: Vec<&str> = Vec::new();
    let mut files: Vec<(&str, &str)> = Vec::new();
    for p in placeholders {
        if !names.contains(&p.name.as_str()) {
            names.push(&p.name);
        }
        let file = (p.artifact.as_str(), p.stored_path.as_str());
        if p.part == FilePart::Content && !files.contains(&file) {
            files.push(file);
        }
    }
    let one = names.len() == 1;
    let vars = names
        .iter()
        .map(|n| format!("--var {n}=…"))
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = format!(
        "to proceed, give {} a value with {vars}",
        if one { "it" } else { "each" }
    );
    if !files.is_empty() {
        let marks = files
            .iter()
            .map(|(artifact, stored)| format!("`stencil artifact verbatim {artifact} {stored}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out += &format!(
            ", deploy with --lenient to leave {}, or mark the file{} verbatim: {marks}",
            if placeholders.len() == 1 && one {
                "it as is"
            } else {
                "them as they are"
            },
            if files.len() == 1 { "" } else { "s" }
        );
    }
    out
}
