//! `stencil artifact list|show|verbatim`

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use stencil::store::{
    ArtifactFile, ArtifactKey, ArtifactPage, ArtifactQuery, Catalog, NewArtifact, NewFile,
};

use crate::args::{ArtifactCommand, ArtifactListArgs};
use crate::context::Context;
use crate::output::{Output, count, human_bytes, shell_word};

/// One artifact of a listing (`--json`).
#[derive(Debug, Serialize)]
pub struct ItemJson {
    /// `type:name`.
    pub key: String,
    /// The type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Collections holding it, each with its size.
    pub collections: Vec<CollectionJson>,
}

/// A collection an artifact belongs to.
#[derive(Debug, Serialize)]
pub struct CollectionJson {
    /// The collection.
    pub name: String,
    /// How many artifacts it holds.
    pub artifact_count: u64,
}

/// The `--json` shape of `stencil artifact list`.
#[derive(Debug, Serialize)]
pub struct PageJson {
    /// The page.
    pub items: Vec<ItemJson>,
    /// Pass to `--after` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Runs `stencil artifact …`.
pub fn run(ctx: &Context, command: &ArtifactCommand) -> Result<Output> {
    match command {
        ArtifactCommand::List(args) => list(ctx, args),
        ArtifactCommand::Show { key } => show(ctx, key),
        ArtifactCommand::Verbatim { key, paths, off } => verbatim(ctx, key, paths, !off),
        ArtifactCommand::Remove { key } => super::remove::artifact(ctx, key),
    }
}

fn list(ctx: &Context, args: &ArtifactListArgs) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    check_types(&catalog, &args.types)?;
    let mut query = ArtifactQuery::new().limit(args.limit);
    for t in &args.types {
        query = query.kind(t);
    }
    for t in &args.tags {
        query = query.tag(t);
    }
    if let Some(c) = &args.collection {
        query = query.collection(c);
    }
    if let Some(s) = &args.search {
        query = query.search(s);
    }
    if let Some(a) = &args.after {
        query = query.after(a);
    }
    let page: ArtifactPage = catalog
        .list_artifacts(&query)
        .context("cannot list artifacts")?;
    let json = PageJson {
        items: page
            .items
            .iter()
            .map(|a| ItemJson {
                key: a.key.to_string(),
                kind: a.key.kind().to_string(),
                name: a.key.name().to_string(),
                description: a.description.clone(),
                tags: a.tags.clone(),
                collections: a
                    .collections
                    .iter()
                    .map(|c| CollectionJson {
                        name: c.name.clone(),
                        artifact_count: c.artifact_count,
                    })
                    .collect(),
            })
            .collect(),
        next_cursor: page.next_cursor.clone(),
    };
    let mut human = String::new();
    if json.items.is_empty() {
        human += "no artifacts match\n";
    }
    let width = json.items.iter().map(|i| i.key.len()).max().unwrap_or(0);
    for item in &json.items {
        human += &format!("{:width$}", item.key);
        if !item.description.is_empty() {
            human += &format!("  {}", item.description);
        }
        if !item.tags.is_empty() {
            human += &format!("  [{}]", item.tags.join(", "));
        }
        if !item.collections.is_empty() {
            let names: Vec<&str> = item.collections.iter().map(|c| c.name.as_str()).collect();
            human += &format!("  (in {})", names.join(", "));
        }
        human += "\n";
    }
    if let Some(cursor) = &json.next_cursor {
        human += &format!("more: {}\n", next_page_command(args, cursor));
    }
    Ok(Output::new(&json, human))
}

/// The command that lists the next page: the same filters and `--limit`,
/// and `--after` the cursor.
fn next_page_command(args: &ArtifactListArgs, cursor: &str) -> String {
    let mut words = vec!["stencil artifact list".to_string()];
    let mut flag = |name: &str, value: &str| words.push(format!("--{name} {}", shell_word(value)));
    for t in &args.types {
        flag("type", t);
    }
    for t in &args.tags {
        flag("tag", t);
    }
    if let Some(c) = &args.collection {
        flag("collection", c);
    }
    if let Some(s) = &args.search {
        flag("search", s);
    }
    flag("limit", &args.limit.to_string());
    flag("after", cursor);
    words.join(" ")
}

/// A `--type` no artifact has is a typo far more often than a question, so
/// it is an error naming the types the catalogue holds (one facet query,
/// ≤ 2 statements, only when `--type` is given).
fn check_types(catalog: &Catalog, types: &[String]) -> Result<()> {
    if types.is_empty() {
        return Ok(());
    }
    let facets = catalog
        .facets(&ArtifactQuery::new())
        .context("cannot list the artifact types")?;
    let have: Vec<&str> = facets.by_type.iter().map(|(t, _)| t.as_str()).collect();
    let unknown: Vec<String> = types
        .iter()
        .filter(|t| !have.contains(&t.as_str()))
        .map(|t| format!("`{t}`"))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let known = if have.is_empty() {
        "the catalogue holds no artifacts".to_string()
    } else {
        let quoted: Vec<String> = have.iter().map(|t| format!("`{t}`")).collect();
        format!("types in the catalogue: {}", quoted.join(", "))
    };
    bail!("no artifact has type {}; {known}", unknown.join(", "));
}

#[derive(Debug, Serialize)]
struct ShowJson {
    key: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    description: String,
    source: Option<String>,
    version: u32,
    tags: Vec<String>,
    /// Its files run code (a hook, an MCP server configuration): review
    /// them before deploying.
    executable_content: bool,
    files: Vec<FileJson>,
}

/// A stored file, without its content (`artifact show`, `template show`).
#[derive(Debug, Serialize)]
pub struct FileJson {
    /// Its target path.
    pub path: String,
    /// Its size.
    pub bytes: usize,
    /// Deployed with mode 0755.
    pub executable: bool,
    /// Copied without rendering.
    pub verbatim: bool,
    /// The content's hash, as stored.
    pub hash: String,
}

impl From<&ArtifactFile> for FileJson {
    fn from(f: &ArtifactFile) -> FileJson {
        FileJson {
            path: f.path.clone(),
            bytes: f.content.len(),
            executable: f.executable,
            verbatim: f.verbatim,
            hash: f.hash.clone(),
        }
    }
}

fn show(ctx: &Context, key: &str) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let key = ArtifactKey::parse(key)?;
    let a = catalog.artifact(&key)?;
    let json = ShowJson {
        key: a.key.to_string(),
        kind: a.key.kind().to_string(),
        name: a.key.name().to_string(),
        description: a.description.clone(),
        source: a.source.clone(),
        version: a.version,
        tags: a.tags.clone(),
        executable_content: stencil::is_executable_content(&a.key),
        files: a.files.iter().map(FileJson::from).collect(),
    };
    let mut human = format!("{} (version {})\n", json.key, json.version);
    if json.executable_content {
        human += &format!(
            "  executable content: these files run on your machine once deployed ({}); \
             review them first\n",
            if a.key.kind() == "hook" {
                "hook commands"
            } else {
                "MCP servers"
            }
        );
    }
    if !json.description.is_empty() {
        human += &format!("  {}\n", json.description);
    }
    if !json.tags.is_empty() {
        human += &format!("  tags: {}\n", json.tags.join(", "));
    }
    // For a registry install: registry, package, version and blob digest.
    if let Some(source) = &json.source {
        human += &format!("  source: {source}\n");
    }
    for f in &json.files {
        let mut flags = Vec::new();
        if f.executable {
            flags.push("executable");
        }
        if f.verbatim {
            flags.push("verbatim");
        }
        human += &format!("  {}  {}", f.path, human_bytes(f.bytes as u64));
        if !flags.is_empty() {
            human += &format!("  ({})", flags.join(", "));
        }
        human += "\n";
    }
    Ok(Output::new(&json, human))
}

/// Re-stores the artifact with its files' verbatim flags changed; the store
/// has no per-file flag update, so this writes a new version of the same
/// content (one transaction).
fn verbatim(ctx: &Context, key: &str, paths: &[String], on: bool) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let key = ArtifactKey::parse(key)?;
    let a = catalog.artifact(&key)?;
    for p in paths {
        if !a.files.iter().any(|f| &f.path == p) {
            let have: Vec<&str> = a.files.iter().map(|f| f.path.as_str()).collect();
            bail!(
                "artifact `{key}` has no file `{p}`; its files: {}",
                have.join(", ")
            );
        }
    }
    let mut changed = Vec::new();
    let mut new = NewArtifact::new(a.key.clone()).description(a.description.clone());
    new.source = a.source.clone();
    new.tags = a.tags.clone();
    for f in &a.files {
        let selected = paths.is_empty() || paths.contains(&f.path);
        let flag = if selected { on } else { f.verbatim };
        if flag != f.verbatim {
            changed.push(f.path.clone());
        }
        new = new.with_file(
            NewFile::new(f.path.clone(), f.content.clone())
                .executable(f.executable)
                .verbatim(flag),
        );
    }
    if !changed.is_empty() {
        catalog
            .put_artifact(&new)
            .with_context(|| format!("cannot update `{key}`"))?;
    }
    let what = if on { "verbatim" } else { "rendered" };
    let human = if changed.is_empty() {
        format!("nothing changed: the files of `{key}` were already {what}\n")
    } else {
        let mut h = format!("{} of `{key}` now {what}:\n", count(changed.len(), "file"));
        for p in &changed {
            h += &format!("  {p}\n");
        }
        h
    };
    let json = serde_json::json!({ "key": key.to_string(), "verbatim": on, "changed": changed });
    Ok(Output::new(json, human))
}
