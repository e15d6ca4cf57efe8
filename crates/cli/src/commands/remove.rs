//! The commands that take things out of the catalogue or rename them:
//! `template delete`, `artifact remove`, `collection delete|rename`, and
//! `tag list` beside them. Each names what it acts on; none asks for
//! confirmation, and what does not exist is an error that names it.

use anyhow::Result;
use stencil::store::{ArtifactKey, Catalog, Error as StoreError};

use crate::context::Context;
use crate::failure::Explained;
use crate::output::{Output, count};

/// `stencil template delete NAME`.
pub fn template(catalog: &Catalog, name: &str) -> Result<Output> {
    catalog.delete_template(name)?;
    Ok(Output::new(
        serde_json::json!({ "template": name, "deleted": true }),
        format!("deleted template `{name}` (its artifacts stay in the catalogue)"),
    ))
}

/// `stencil artifact remove KEY`.
pub fn artifact(ctx: &Context, key: &str) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    let key = ArtifactKey::parse(key)?;
    catalog.delete_artifact(&key).map_err(|e| match e {
        StoreError::InUse { ref templates, .. } => {
            let first = templates.first().map(String::as_str).unwrap_or("NAME");
            Explained::store(
                format!(
                    "{e} (delete a template with `stencil template delete {first}`, or \
                     recreate it without `{key}` with `stencil template create {first} … --replace`)"
                ),
                e,
            )
        }
        e => anyhow::Error::new(e),
    })?;
    Ok(Output::new(
        serde_json::json!({ "key": key.to_string(), "removed": true }),
        format!("removed artifact `{key}` with its files, tags and memberships"),
    ))
}

/// `stencil collection delete NAME`.
pub fn collection(catalog: &Catalog, name: &str) -> Result<Output> {
    let artifacts = catalog.collection_artifact_count(name)?;
    catalog.delete_collection(name).map_err(|e| match e {
        StoreError::Followed { ref templates, .. } => {
            let first = templates.first().map(String::as_str).unwrap_or("NAME");
            Explained::store(
                format!(
                    "{e} (delete a template with `stencil template delete {first}`, or keep \
                     its entities as they are with `stencil template create {first} \
                     --collection {name} --snapshot --replace`, giving its --var and \
                     --description again)"
                ),
                e,
            )
        }
        e => anyhow::Error::new(e),
    })?;
    Ok(Output::new(
        serde_json::json!({ "collection": name, "deleted": true, "artifact_count": artifacts }),
        format!(
            "deleted collection `{name}` ({} {} in the catalogue)",
            count(artifacts as usize, "artifact"),
            if artifacts == 1 { "stays" } else { "stay" }
        ),
    ))
}

/// `stencil collection rename FROM TO`.
pub fn rename_collection(catalog: &Catalog, from: &str, to: &str) -> Result<Output> {
    catalog.rename_collection(from, to)?;
    Ok(Output::new(
        serde_json::json!({ "from": from, "to": to, "renamed": true }),
        format!("renamed collection `{from}` to `{to}`"),
    ))
}

/// `stencil tag list`.
pub fn tag_list(catalog: &Catalog) -> Result<Output> {
    let tags = catalog.tag_counts()?;
    let width = tags
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut human = String::new();
    if tags.is_empty() {
        human += "no tags\n";
    }
    for t in &tags {
        human += &format!(
            "{:<width$}  {}\n",
            t.name,
            count(t.count as usize, "artifact")
        );
    }
    let items: Vec<serde_json::Value> = tags
        .iter()
        .map(|t| serde_json::json!({ "name": t.name, "artifact_count": t.count }))
        .collect();
    Ok(Output::new(serde_json::json!({ "items": items }), human))
}
