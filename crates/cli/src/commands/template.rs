//! `stencil template create|list|show`

use anyhow::{Result, bail};
use serde::Serialize;
use stencil::store::{
    ArtifactKey, ArtifactQuery, Catalog, Error as StoreError, MAX_PAGE_LIMIT, TemplateSpec,
    VariableDecl,
};

use crate::args::{TemplateCommand, TemplateCreateArgs};
use crate::commands::artifact::FileJson;
use crate::context::Context;
use crate::failure::Explained;
use crate::output::{Output, count};

/// Runs `stencil template …`.
pub fn run(ctx: &Context, command: &TemplateCommand) -> Result<Output> {
    let catalog = ctx.open_existing()?;
    match command {
        TemplateCommand::Create(args) => create(&catalog, args),
        TemplateCommand::List => list(&catalog),
        TemplateCommand::Show { name } => show(&catalog, name),
        TemplateCommand::Delete { name } => super::remove::template(&catalog, name),
    }
}

/// Parses `TYPE:NAME` with an optional trailing `?` (optional entity).
pub fn parse_entity(s: &str) -> Result<(ArtifactKey, bool)> {
    let (key, required) = match s.strip_suffix('?') {
        Some(key) => (key, false),
        None => (s, true),
    };
    Ok((ArtifactKey::parse(key)?, required))
}

/// Parses `NAME` (required) or `NAME=DEFAULT`.
pub fn parse_var(s: &str) -> VariableDecl {
    match s.split_once('=') {
        Some((name, default)) => VariableDecl::optional(name, default),
        None => VariableDecl::required(s),
    }
}

/// Every member of a collection, in listing order.
pub fn collection_members(catalog: &Catalog, name: &str) -> Result<Vec<ArtifactKey>> {
    let mut keys = Vec::new();
    let mut query = ArtifactQuery::new().collection(name).limit(MAX_PAGE_LIMIT);
    loop {
        let page = catalog.list_artifacts(&query)?;
        keys.extend(page.items.into_iter().map(|a| a.key));
        match page.next_cursor {
            Some(cursor) => query = query.after(cursor),
            None => return Ok(keys),
        }
    }
}

fn create(catalog: &Catalog, args: &TemplateCreateArgs) -> Result<Output> {
    let mut spec = TemplateSpec::new(&args.name).description(&args.description);
    // Members now: what a snapshot saves, and what a following template
    // starts with (shown in the summary).
    let mut members = Vec::new();
    if let Some(c) = &args.collection {
        // Checks the collection exists (NotFound names it).
        catalog.collection(c)?;
        spec = if args.artifacts.is_empty() && !args.snapshot {
            spec.follows(c)
        } else {
            spec.collection(c)
        };
    }
    if args.artifacts.is_empty() {
        let Some(c) = &args.collection else {
            bail!(
                "a template needs entities: give --artifact TYPE:NAME (repeatable) or --collection NAME"
            );
        };
        members = collection_members(catalog, c)?;
        if members.is_empty() {
            bail!("collection `{c}` is empty; add artifacts to it or give --artifact TYPE:NAME");
        }
        if !spec.follows_collection {
            for key in &members {
                spec = spec.entity(key.clone(), false);
            }
        }
    }
    for a in &args.artifacts {
        let (key, required) = parse_entity(a)?;
        spec = spec.entity(key, required);
    }
    for v in &args.vars {
        spec = spec.variable(parse_var(v));
    }
    let replaced = if args.replace {
        match catalog.update_template(&spec) {
            Err(StoreError::NotFound { .. }) => catalog.create_template(&spec).map(|()| false),
            other => other.map(|()| true),
        }
    } else {
        catalog.create_template(&spec).map(|()| false)
    }
    .map_err(|e| match e {
        StoreError::AlreadyExists { .. } => Explained::store(
            format!(
                "template `{}` already exists; give --replace to replace it, or choose another name",
                args.name
            ),
            e,
        ),
        e => anyhow::Error::new(e).context(format!("cannot create template `{}`", args.name)),
    })?;
    let entities: Vec<(String, bool)> = if spec.follows_collection {
        members.iter().map(|k| (k.to_string(), false)).collect()
    } else {
        spec.entities
            .iter()
            .map(|e| (e.artifact.to_string(), e.required))
            .collect()
    };
    let required = entities.iter().filter(|(_, r)| *r).count();
    let entity_summary = format!(
        "{} ({} required)",
        count(entities.len(), "entity"),
        required
    );
    let source = Source::of(spec.collection.as_deref(), spec.follows_collection);
    let human = format!(
        "{} template `{}`{}: {}{}, {}\nDeploy it: stencil deploy {} DIR --var PROJECT_NAME=NAME",
        if replaced { "replaced" } else { "created" },
        spec.name,
        source
            .label()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default(),
        if spec.follows_collection { "now " } else { "" },
        entity_summary,
        count(spec.variables.len(), "declared variable"),
        spec.name
    );
    let json = serde_json::json!({
        "name": spec.name,
        "replaced": replaced,
        "collection": spec.collection,
        "follows_collection": spec.follows_collection,
        "entities": entities.iter().map(|(key, required)| serde_json::json!({
            "key": key, "required": required,
        })).collect::<Vec<_>>(),
        "variables": spec.variables.iter().map(var_json).collect::<Vec<_>>(),
    });
    Ok(Output::new(json, human))
}

/// Where a template's entities come from, as `template show|list|create`
/// say it.
enum Source<'a> {
    /// Its own list, no collection.
    Fixed,
    /// Its own list, saved from (or with) a collection.
    Snapshot(&'a str),
    /// The collection's members at each load.
    Follows(&'a str),
}

impl<'a> Source<'a> {
    fn of(collection: Option<&'a str>, follows: bool) -> Self {
        match collection {
            None => Source::Fixed,
            Some(c) if follows => Source::Follows(c),
            Some(c) => Source::Snapshot(c),
        }
    }

    /// `follows collection C` / `snapshot of collection C`; none for a
    /// plain list.
    fn label(&self) -> Option<String> {
        match self {
            Source::Fixed => None,
            Source::Snapshot(c) => Some(format!("snapshot of collection {c}")),
            Source::Follows(c) => Some(format!("follows collection {c}")),
        }
    }

    /// What `template show` heads the entity list with.
    fn entities_heading(&self) -> String {
        match self {
            Source::Fixed | Source::Snapshot(_) => "entities, in deploy order:".to_string(),
            Source::Follows(c) => {
                format!("entities, in deploy order (the members of collection {c} now):")
            }
        }
    }
}

fn var_json(v: &VariableDecl) -> VarJson {
    VarJson {
        name: v.name.clone(),
        required: v.required && v.default.is_none(),
        default: v.default.clone(),
        description: v.description.clone(),
    }
}

#[derive(Debug, Serialize)]
struct VarJson {
    name: String,
    required: bool,
    default: Option<String>,
    description: String,
}

#[derive(Debug, Serialize)]
struct SummaryJson {
    name: String,
    description: String,
    collection: Option<String>,
    follows_collection: bool,
    entity_count: u64,
}

fn list(catalog: &Catalog) -> Result<Output> {
    let items: Vec<SummaryJson> = catalog
        .list_templates()?
        .into_iter()
        .map(|t| SummaryJson {
            name: t.name,
            description: t.description,
            collection: t.collection,
            follows_collection: t.follows_collection,
            entity_count: t.entity_count,
        })
        .collect();
    let mut human = String::new();
    if items.is_empty() {
        human += "no templates\n";
    }
    // Columns: name, entity count, collection, description; each padded to
    // its widest cell so they line up.
    let rows: Vec<[String; 4]> = items
        .iter()
        .map(|t| {
            [
                t.name.clone(),
                count(t.entity_count as usize, "entity"),
                Source::of(t.collection.as_deref(), t.follows_collection)
                    .label()
                    .map(|l| format!("({l})"))
                    .unwrap_or_default(),
                t.description.clone(),
            ]
        })
        .collect();
    human += &columns(&rows, "");
    Ok(Output::new(serde_json::json!({ "items": items }), human))
}

#[derive(Debug, Serialize)]
struct ShowJson {
    name: String,
    description: String,
    collection: Option<String>,
    follows_collection: bool,
    variables: Vec<ShowVarJson>,
    entities: Vec<EntityJson>,
}

/// A variable as `template show` describes it: whether a deploy needs a
/// value for it, its default, and the files using it.
#[derive(Debug, Serialize)]
struct ShowVarJson {
    name: String,
    required: bool,
    needed: bool,
    default: Option<String>,
    used_in: Vec<String>,
    description: String,
}

#[derive(Debug, Serialize)]
struct EntityJson {
    deploy_order: u32,
    key: String,
    required: bool,
    files: Vec<FileJson>,
}

fn show(catalog: &Catalog, name: &str) -> Result<Output> {
    let t = catalog.load_template(name)?;
    let variables = stencil::template_variables(&t)?
        .into_iter()
        .map(|v| ShowVarJson {
            description: t
                .variables
                .iter()
                .find(|d| d.name == v.name)
                .map(|d| d.description.clone())
                .unwrap_or_default(),
            name: v.name,
            required: v.required,
            needed: v.needs_value,
            default: v.default,
            used_in: v.used_in,
        })
        .collect();
    let json = ShowJson {
        name: t.name.clone(),
        description: t.description.clone(),
        collection: t.collection.clone(),
        follows_collection: t.follows_collection,
        variables,
        entities: t
            .entities
            .iter()
            .map(|e| EntityJson {
                deploy_order: e.deploy_order,
                key: e.artifact.to_string(),
                required: e.required,
                files: e.files.iter().map(FileJson::from).collect(),
            })
            .collect(),
    };
    let source = Source::of(json.collection.as_deref(), json.follows_collection);
    let mut human = format!("template `{}`", json.name);
    human += &format!(
        " ({})\n",
        source.label().as_deref().unwrap_or("a fixed list")
    );
    if !json.description.is_empty() {
        human += &format!("  {}\n", json.description);
    }
    // DATE's default is computed at deploy time unless the template sets one.
    let date_is_today = !t.variables.iter().any(|v| v.name == "DATE");
    let rows: Vec<[String; 4]> = json
        .variables
        .iter()
        .map(|v| {
            let need = if v.required {
                "required"
            } else if v.needed {
                "needed"
            } else {
                "optional"
            };
            let default = match &v.default {
                Some(_) if v.name == "DATE" && date_is_today => "default today".to_string(),
                Some(d) => format!("default `{d}`"),
                None => "no default".to_string(),
            };
            [
                v.name.clone(),
                need.to_string(),
                default,
                used_in(&v.used_in),
            ]
        })
        .collect();
    human +=
        "variables (deploy needs a value for each required or needed one: --var NAME=VALUE):\n";
    human += &columns(&rows, "  ");
    human += &source.entities_heading();
    human += "\n";
    for (n, e) in json.entities.iter().enumerate() {
        human += &format!(
            "  {}. {}{}\n",
            n + 1,
            e.key,
            if e.required { "" } else { " (optional)" }
        );
        for f in &e.files {
            human += &format!("       {}\n", f.path);
        }
    }
    Ok(Output::new(&json, human))
}

/// Rows as lines after `indent`, each cell padded to its column's widest
/// so the columns line up; columns empty in every row are left out.
fn columns(rows: &[[String; 4]], indent: &str) -> String {
    let widths: Vec<usize> = (0..4)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .filter(|(_, w)| **w > 0)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out += &format!("{indent}{}\n", cells.join("  ").trim_end());
    }
    out
}

/// `used in A, B, C and 2 more`, or `unused`.
fn used_in(files: &[String]) -> String {
    const SHOWN: usize = 3;
    if files.is_empty() {
        return "unused".to_string();
    }
    let mut out = format!(
        "used in {}",
        files
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    );
    if files.len() > SHOWN {
        out += &format!(" and {} more", files.len() - SHOWN);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_question_mark_makes_an_entity_optional() -> Result<()> {
        let (key, required) = parse_entity("skill:review?")?;
        assert_eq!(
            (key.to_string(), required),
            ("skill:review".to_string(), false)
        );
        let (key, required) = parse_entity("command:git/commit")?;
        assert_eq!(
            (key.to_string(), required),
            ("command:git/commit".to_string(), true)
        );
        assert!(parse_entity("no-colon").is_err());
        Ok(())
    }

    #[test]
    fn variables_are_required_unless_given_a_default() {
        assert!(parse_var("TEAM").required);
        let v = parse_var("TEAM=platform");
        assert_eq!(
            (v.required, v.default.as_deref()),
            (false, Some("platform"))
        );
        assert_eq!(parse_var("EMPTY=").default.as_deref(), Some(""));
    }
}
