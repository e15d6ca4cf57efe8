//! `stencil key generate|public`, `stencil publish` and
//! `stencil registry add|list|remove`, `stencil install`.

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use stencil::packages::{self, PublishSelection, RegistryRecord};
use stencil::registry::{
    Freshness, PublicKey, PublishReport, Publisher, Registry, SecretKey, TrustAnchor,
};
use stencil::store::ArtifactKey;

use crate::args::{InstallArgs, KeyCommand, PublishArgs, RegistryCommand};
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
    created: Vec<String>,
    updated: Vec<String>,
    unchanged: Vec<String>,
    template: Option<String>,
    executables: Vec<String>,
}

/// `REGISTRY/TYPE:NAME[@VERSION]` → its parts.
fn parse_ref(text: &str) -> Result<(&str, &str, &str, Option<u64>)> {
    let (registry, rest) = text
        .split_once('/')
        .with_context(|| format!("{text:?}: expected REGISTRY/TYPE:NAME[@VERSION]"))?;
    let (id, version) = match rest.rsplit_once('@') {
        Some((id, v)) => (
            id,
            Some(
                v.parse::<u64>()
                    .with_context(|| format!("{text:?}: version {v:?} is not a number"))?,
            ),
        ),
        None => (rest, None),
    };
    let (kind, name) = id
        .split_once(':')
        .with_context(|| format!("{text:?}: expected TYPE:NAME after the registry"))?;
    if registry.is_empty() || kind.is_empty() || name.is_empty() {
        bail!("{text:?}: expected REGISTRY/TYPE:NAME[@VERSION]");
    }
    Ok((registry, kind, name, version))
}

/// Runs `stencil install REF…`: each reference in turn (each package in
/// its own transaction).
pub fn run_install(ctx: &Context, args: &InstallArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let freshness = if args.refresh {
        Freshness::FORCE
    } else {
        Freshness::DEFAULT
    };
    let refs = args
        .refs
        .iter()
        .map(|r| parse_ref(r))
        .collect::<Result<Vec<_>>>()?;
    let keys = |keys: &[ArtifactKey]| keys.iter().map(ToString::to_string).collect::<Vec<_>>();
    let mut installed = Vec::new();
    let mut lines = Vec::new();
    for (registry, kind, name, version) in refs {
        let report = packages::install_from_registry_with(
            &catalog,
            registry,
            kind,
            name,
            version,
            args.offline,
            &freshness,
            jiff::Timestamp::now(),
        )?;
        lines.push(format!(
            "installed {} from `{registry}`: {} created, {} updated, {} unchanged",
            report.package,
            report.artifacts.created.len(),
            report.artifacts.updated.len(),
            report.artifacts.unchanged.len()
        ));
        for exe in &report.executables {
            lines.push(format!("  executable (review before deploying): {exe}"));
        }
        installed.push(Installed {
            package: report.package.clone(),
            created: keys(&report.artifacts.created),
            updated: keys(&report.artifacts.updated),
            unchanged: keys(&report.artifacts.unchanged),
            template: report.template.clone(),
            executables: report.executables.clone(),
        });
    }
    Ok(Output::new(
        serde_json::json!({ "installed": installed }),
        lines.join("\n"),
    ))
}
