//! `stencil key generate|public`, `stencil publish` and
//! `stencil registry add|list|sync|remove`, `stencil install`.

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use stencil::packages::{self, InstallSummary, PublishSelection, RegistryRecord};
use stencil::registry::{PublicKey, PublishReport, Publisher, Registry, SecretKey, TrustAnchor};
use stencil::store::ArtifactKey;

use crate::args::{InstallArgs, KeyCommand, PublishArgs, RegistryCommand};
use crate::commands::fetching;
use crate::context::Context;
use crate::output::{Output, count};

/// Runs `stencil key …`.
pub fn run_key(command: &KeyCommand) -> Result<Output> {
    let (key, verb) = match command {
        KeyCommand::Generate { out } => {
            let key = SecretKey::generate()?;
            key.create_file(out)?;
            (key, "created")
        }
        KeyCommand::Public { file } => (SecretKey::read_file(file)?, "read"),
    };
    let public = key.public().to_string();
    // The human form is the key alone, one line, so `$(stencil key …)`
    // captures exactly the key.
    Ok(Output::new(
        serde_json::json!({ "public_key": public, "secret_key_file": verb }),
        public,
    ))
}

/// Runs `stencil publish`.
pub fn run_publish(ctx: &Context, args: &PublishArgs) -> Result<Output> {
    let signers = args
        .keys
        .iter()
        .map(|path| SecretKey::read_file(path).map_err(Into::into))
        .collect::<Result<Vec<_>>>()?;
    let expires = args.expires.as_deref().map(parse_duration).transpose()?;
    let now = jiff::Timestamp::now();
    if args.templates.is_empty() && args.artifacts.is_empty() {
        if !args.refresh {
            bail!(
                "nothing to publish: name at least one --template or --artifact (or pass --refresh)"
            );
        }
        let mut publisher = Publisher::open_or_create(&args.dir, signers, now)?;
        if let Some(ttl) = expires {
            publisher = publisher.snapshot_ttl(ttl);
        }
        let report = publisher.refresh(now)?;
        return Ok(report_output(&args.dir, &report));
    }
    let artifacts = args
        .artifacts
        .iter()
        .map(|k| ArtifactKey::parse(k).map_err(Into::into))
        .collect::<Result<Vec<_>>>()?;
    let selection = PublishSelection {
        templates: args.templates.clone(),
        artifacts,
        expires,
        refresh: args.refresh,
    };
    let catalog = ctx.open_existing()?;
    let report = packages::publish(&catalog, &args.dir, signers, &selection, now)?;
    Ok(report_output(&args.dir, &report))
}

fn report_output(dir: &std::path::Path, report: &PublishReport) -> Output {
    #[derive(Serialize)]
    struct Json<'a> {
        registry: String,
        published: Vec<String>,
        unchanged: &'a [String],
        blobs_written: usize,
        snapshot_version: Option<u64>,
        root_version: Option<u64>,
    }
    let published: Vec<String> = report.published.iter().map(|e| e.id()).collect();
    let mut human = match report.snapshot_version {
        None => format!(
            "nothing changed in {}: {} already published",
            dir.display(),
            count(report.unchanged.len(), "package")
        ),
        Some(v) => format!(
            "published {} to {} (snapshot version {v}, {} written, {} unchanged)",
            count(published.len(), "package"),
            dir.display(),
            count(report.blobs_written, "blob"),
            report.unchanged.len(),
        ),
    };
    for id in &published {
        human.push_str(&format!("\n  {id}"));
    }
    if let Some(root) = report.root_version {
        human.push_str(&format!("\nroot version {root} written"));
    }
    Output::new(
        Json {
            registry: dir.display().to_string(),
            published,
            unchanged: &report.unchanged,
            blobs_written: report.blobs_written,
            snapshot_version: report.snapshot_version,
            root_version: report.root_version,
        },
        human,
    )
}

/// `30d`, `12h`, `90m`, `1w`, or anything jiff reads as a span
/// (`P30D`, `2 days`); days count as 24 hours.
fn parse_duration(text: &str) -> Result<jiff::SignedDuration> {
    let span: jiff::Span = text
        .parse()
        .with_context(|| format!("--expires {text:?}: not a duration such as `30d` or `12h`"))?;
    let duration = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .with_context(|| format!("--expires {text:?}: not a fixed length of time"))?;
    if duration <= jiff::SignedDuration::ZERO {
        bail!("--expires {text:?}: must be positive");
    }
    Ok(duration)
}

/// Runs `stencil registry …`.
pub fn run(ctx: &Context, command: &RegistryCommand) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    match command {
        RegistryCommand::Add {
            name,
            url,
            trust,
            threshold,
        } => {
            let anchor = anchor(trust, *threshold)?;
            let record =
                packages::add_registry(&catalog, name, url, &anchor, jiff::Timestamp::now())?;
            let summary = summarise(&record);
            let human = format!(
                "added registry `{name}` ({url}): root version {}, snapshot version {}, {}",
                summary.root_version.unwrap_or(0),
                summary.snapshot_version,
                count(summary.packages, "package version")
            );
            Ok(Output::new(summary, human))
        }
        RegistryCommand::List => {
            let records = packages::list_registries(&catalog)?;
            let summaries: Vec<Summary> = records.iter().map(summarise).collect();
            let human = if summaries.is_empty() {
                String::from(
                    "no registries (add one with `stencil registry add NAME URL --trust KEY`)",
                )
            } else {
                summaries
                    .iter()
                    .map(|s| {
                        format!(
                            "{}\t{}\troot v{}\tsnapshot v{}\t{}",
                            s.name,
                            s.url,
                            s.root_version.unwrap_or(0),
                            s.snapshot_version,
                            count(s.packages, "package version")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::new(
                serde_json::json!({ "registries": summaries }),
                human,
            ))
        }
        RegistryCommand::Sync { name } => run_sync(&catalog, name),
        RegistryCommand::Remove { name } => {
            packages::remove_registry(&catalog, name)?;
            Ok(Output::new(
                serde_json::json!({ "name": name, "removed": true }),
                format!("removed registry `{name}`"),
            ))
        }
    }
}

fn anchor(trust: &[String], threshold: Option<u32>) -> Result<TrustAnchor> {
    if let [one] = trust
        && let Some(hex) = one.strip_prefix("sha256:")
    {
        if threshold.is_some() {
            bail!("--threshold applies to keys, not to a root digest");
        }
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("--trust {one:?}: a root digest is `sha256:` and 64 hex digits");
        }
        return Ok(TrustAnchor::RootDigest(hex.to_ascii_lowercase()));
    }
    let keys = trust
        .iter()
        .map(|k| k.parse::<PublicKey>().map_err(Into::into))
        .collect::<Result<Vec<_>>>()?;
    Ok(TrustAnchor::Keys {
        keys,
        threshold: threshold.unwrap_or(1),
    })
}

#[derive(Serialize)]
struct Summary {
    name: String,
    url: String,
    root_version: Option<u64>,
    snapshot_version: u64,
    packages: usize,
    fetched: Option<String>,
}

fn summarise(record: &RegistryRecord) -> Summary {
    let offline = Registry::offline(
        &record.name,
        &record.state,
        &stencil::registry::Limits::DEFAULT,
        jiff::Timestamp::now(),
    )
    .ok();
    Summary {
        name: record.name.clone(),
        url: record.url.clone(),
        root_version: offline.as_ref().map(|(r, _)| r.root().version),
        snapshot_version: record.state.snapshot_version,
        packages: offline.map_or(0, |(r, _)| r.snapshot().packages.len()),
        fetched: record.state.fetched.map(|t| t.to_string()),
    }
}

/// One package installed, for `--json`.
#[derive(Serialize)]
struct Installed {
    package: String,
    registry: String,
    sha256: String,
    created: Vec<String>,
    updated: Vec<String>,
    unchanged: Vec<String>,
    template: Option<String>,
    executables: Vec<String>,
}

/// The human lines and `--json` entries of installed packages.
pub fn installed_output(summary: &InstallSummary) -> (Vec<serde_json::Value>, Vec<String>) {
    let keys = |keys: &[ArtifactKey]| keys.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut installed = Vec::new();
    let mut lines = Vec::new();
    for report in &summary.packages {
        lines.push(format!(
            "installed {} from `{}`: {} created, {} updated, {} unchanged",
            report.package,
            report.registry,
            report.artifacts.created.len(),
            report.artifacts.updated.len(),
            report.artifacts.unchanged.len()
        ));
        for exe in &report.executables {
            lines.push(format!("  executable (review before deploying): {exe}"));
        }
        let entry = Installed {
            package: report.package.clone(),
            registry: report.registry.clone(),
            sha256: report.sha256.clone(),
            created: keys(&report.artifacts.created),
            updated: keys(&report.artifacts.updated),
            unchanged: keys(&report.artifacts.unchanged),
            template: report.template.clone(),
            executables: report.executables.clone(),
        };
        installed.push(serde_json::to_value(entry).unwrap_or_default());
    }
    (installed, lines)
}

/// Runs `stencil install REF…`: every package fetched in parallel through
/// the disk cache and verified, then all stored in one transaction.
pub fn run_install(ctx: &Context, args: &InstallArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let cache = fetching::blob_cache();
    let options = fetching::options(cache.as_ref(), args.refresh, args.offline);
    let summary = packages::install_refs(&catalog, &args.refs, &options, jiff::Timestamp::now())?;
    fetching::tell(&summary.notes);
    let (installed, lines) = installed_output(&summary);
    Ok(Output::new(
        serde_json::json!({ "installed": installed, "notes": summary.notes }),
        lines.join("\n"),
    ))
}

/// Runs `stencil registry sync NAME`.
fn run_sync(catalog: &stencil::store::Catalog, name: &str) -> Result<Output> {
    let Some(cache) = fetching::blob_cache() else {
        bail!("no cache directory: set STENCIL_CACHE_DIR (or XDG_CACHE_HOME or HOME)");
    };
    let report = packages::sync_registry(
        catalog,
        name,
        &cache,
        stencil::registry::DEFAULT_CONCURRENCY,
        jiff::Timestamp::now(),
    )?;
    let mut human = format!(
        "synced registry `{name}` (snapshot version {}): {} cached, {} downloaded, {} already cached",
        report.snapshot_version,
        count(report.packages, "package version"),
        report.downloaded,
        report.already_cached
    );
    for failure in &report.failures {
        human.push_str(&format!("\n  failed: {failure}"));
    }
    let json = serde_json::json!({
        "registry": name,
        "snapshot_version": report.snapshot_version,
        "packages": report.packages,
        "downloaded": report.downloaded,
        "already_cached": report.already_cached,
        "failures": report.failures,
    });
    if !report.failures.is_empty() {
        bail!("{human}");
    }
    Ok(Output::new(json, human))
}
