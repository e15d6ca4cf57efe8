//! `stencil collection create|add|remove|list` and `stencil tag add|remove`

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use stencil::store::{ArtifactKey, Catalog};

use crate::args::{CollectionCommand, TagCommand};
use crate::context::Context;
use crate::output::{Output, count, shell_word};

/// Runs `stencil collection …`.
pub fn run(ctx: &Context, command: &CollectionCommand) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    match command {
        CollectionCommand::Create { name, description } => {
            catalog.create_collection(name, description)?;
            Ok(Output::new(
                serde_json::json!({ "name": name, "created": true }),
                format!("created collection `{name}`"),
            ))
        }
        CollectionCommand::Add { name, keys } => membership(&catalog, name, keys, true),
        CollectionCommand::Remove { name, keys } => membership(&catalog, name, keys, false),
        CollectionCommand::List { limit, after } => list(&catalog, *limit, after.as_deref()),
        CollectionCommand::Delete { name } => super::remove::collection(&catalog, name),
        CollectionCommand::Rename { from, to } => {
            super::remove::rename_collection(&catalog, from, to)
        }
    }
}

fn parse_keys(keys: &[String]) -> Result<Vec<ArtifactKey>> {
    keys.iter()
        .map(|k| ArtifactKey::parse(k).map_err(Into::into))
        .collect()
}

fn membership(catalog: &Catalog, name: &str, keys: &[String], add: bool) -> Result<Output> {
    let keys = parse_keys(keys)?;
    let report = if add {
        catalog.add_to_collection(name, &keys)?
    } else {
        catalog.remove_from_collection(name, &keys)?
    };
    if !report.unknown.is_empty() {
        // Undo the part that was done, so a typo changes nothing.
        if !report.changed.is_empty() {
            let undo = if add {
                catalog.remove_from_collection(name, &report.changed)
            } else {
                catalog.add_to_collection(name, &report.changed)
            };
            undo.with_context(|| format!("cannot undo the change to collection `{name}`"))?;
        }
        let unknown: Vec<String> = report.unknown.iter().map(|k| format!("`{k}`")).collect();
        bail!(
            "{} not in the catalogue: {}; collection `{name}` was not changed",
            if unknown.len() == 1 {
                "artifact is"
            } else {
                "artifacts are"
            },
            unknown.join(", ")
        );
    }
    let total = catalog.collection_artifact_count(name)?;
    let changed: Vec<String> = report.changed.iter().map(|k| k.to_string()).collect();
    let unchanged: Vec<String> = report.unchanged.iter().map(|k| k.to_string()).collect();
    let verb = if add { "added to" } else { "removed from" };
    let human = format!(
        "{} {verb} collection `{name}` ({} unchanged); it holds {}",
        count(changed.len(), "artifact"),
        unchanged.len(),
        count(total as usize, "artifact")
    );
    let json = serde_json::json!({
        "collection": name,
        "changed": changed,
        "unchanged": unchanged,
        "artifact_count": total,
    });
    Ok(Output::new(json, human))
}

#[derive(Debug, Serialize)]
struct ListJson {
    items: Vec<ItemJson>,
    next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
struct ItemJson {
    name: String,
    description: String,
    artifact_count: u64,
    group_count: u64,
}

fn list(catalog: &Catalog, limit: u32, after: Option<&str>) -> Result<Output> {
    let page = catalog.list_collections(limit, after)?;
    let json = ListJson {
        items: page
            .items
            .iter()
            .map(|c| ItemJson {
                name: c.name.clone(),
                description: c.description.clone(),
                artifact_count: c.artifact_count,
                group_count: c.group_count,
            })
            .collect(),
        next_cursor: page.next_cursor.clone(),
    };
    let mut human = String::new();
    if json.items.is_empty() {
        human += "no collections\n";
    }
    for c in &json.items {
        human += &format!(
            "{}  {}",
            c.name,
            count(c.artifact_count as usize, "artifact")
        );
        if !c.description.is_empty() {
            human += &format!("  {}", c.description);
        }
        human += "\n";
    }
    if let Some(cursor) = &json.next_cursor {
        human += &format!(
            "more: stencil collection list --limit {limit} --after {}\n",
            shell_word(cursor)
        );
    }
    Ok(Output::new(&json, human))
}

/// Runs `stencil tag …`.
pub fn run_tag(ctx: &Context, command: &TagCommand) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let (key, tags, add) = match command {
        TagCommand::Add { key, tags } => (key, tags, true),
        TagCommand::Remove { key, tags } => (key, tags, false),
        TagCommand::List => return super::remove::tag_list(&catalog),
    };
    let key = ArtifactKey::parse(key)?;
    let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
    if add {
        catalog.add_tags(&key, &refs)?;
    } else {
        catalog.remove_tags(&key, &refs)?;
    }
    let now = catalog.artifact(&key)?.tags;
    let human = format!(
        "`{key}` is tagged: {}",
        if now.is_empty() {
            "(none)".to_string()
        } else {
            now.join(", ")
        }
    );
    Ok(Output::new(
        serde_json::json!({ "key": key.to_string(), "tags": now }),
        human,
    ))
}
