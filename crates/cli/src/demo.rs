//! `stencil demo [DIR]`: the whole flow on a sample tree built into the
//! binary — import, collection, template, deploy — with a short report.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::Serialize;
use stencil::deploy::DeployOptions;
use stencil::import::Layout;
use stencil::store::{ArtifactKey, ArtifactQuery, Catalog, Error as StoreError, TemplateSpec};
use stencil::{TemplateDeployOptions, deploy_template, today};

use crate::commands::deploy::{DeploySummary, explain};
use crate::commands::import::{ImportSummary, Importer};
use crate::commands::template::collection_members;
use crate::context::{Context, open_or_create};
use crate::output::{Output, count, human_bytes};

/// The sample tree: `(path in the tree, content)`. The files live under
/// `crates/cli/demo/` (without the leading dot, so no tool hides them).
pub const SAMPLE: [(&str, &str); 7] = [
    ("CLAUDE.md", include_str!("../demo/CLAUDE.md")),
    (
        ".claude/skills/code-review/SKILL.md",
        include_str!("../demo/claude/skills/code-review/SKILL.md"),
    ),
    (
        ".claude/skills/code-review/checklist.md",
        include_str!("../demo/claude/skills/code-review/checklist.md"),
    ),
    (
        ".claude/commands/changelog.md",
        include_str!("../demo/claude/commands/changelog.md"),
    ),
    (
        ".claude/agents/test-writer.md",
        include_str!("../demo/claude/agents/test-writer.md"),
    ),
    (
        ".claude/rules/style.md",
        include_str!("../demo/claude/rules/style.md"),
    ),
    (
        ".claude/rules/testing.md",
        include_str!("../demo/claude/rules/testing.md"),
    ),
];

/// The collection and template the demo creates.
const NAME: &str = "starter";

/// The author the demo renders into the files.
const AUTHOR: &str = "Ada Lovelace";

/// The `--json` shape of `stencil demo`.
#[derive(Debug, Serialize)]
struct DemoJson {
    catalog: String,
    import: ImportSummary,
    collection: CollectionJson,
    template: TemplateJson,
    variables: Vec<(String, String)>,
    deploy: DeploySummary,
}

#[derive(Debug, Serialize)]
struct CollectionJson {
    name: String,
    artifact_count: u64,
    by_type: Vec<(String, u64)>,
}

#[derive(Debug, Serialize)]
struct TemplateJson {
    name: String,
    entities: Vec<String>,
}

/// Runs `stencil demo DIR`.
pub fn run(ctx: &Context, dir: &Path) -> Result<Output> {
    let scratch = tempfile::Builder::new()
        .prefix("stencil-demo-")
        .tempdir()
        .context("cannot create a temporary directory for the demo")?;
    // A fresh catalogue unless one was asked for explicitly.
    let catalog_path = if ctx.catalog_flag {
        ctx.catalog.clone()
    } else {
        scratch.path().join("catalog.db")
    };
    let catalog = open_or_create(&catalog_path)?;

    let sample = scratch.path().join("sample");
    write_sample(&sample)?;
    let importer = Importer::new(&[], Some(NAME), Layout::Tree, &ctx.style);
    let tree = importer.scan(&sample)?;
    let mut imported = importer.store(&catalog, tree)?;
    imported.source = "the built-in sample tree".to_string();

    let facets = catalog.facets(&ArtifactQuery::new().collection(NAME))?;
    let collection = CollectionJson {
        name: NAME.to_string(),
        artifact_count: catalog.collection_artifact_count(NAME)?,
        by_type: facets.by_type,
    };

    let entities = deploy_order(collection_members(&catalog, NAME)?);
    create_template(&catalog, &entities)?;

    let project_name = project_name(dir);
    let variables = vec![
        ("PROJECT_NAME".to_string(), project_name),
        ("AUTHOR".to_string(), AUTHOR.to_string()),
        ("DATE".to_string(), today()),
    ];
    let options = TemplateDeployOptions::new().deploy_options(DeployOptions::new());
    let report = deploy_template(&catalog, NAME, dir, variables.iter().cloned(), &options)
        .map_err(|e| explain(e, NAME))?;
    let deploy = DeploySummary::from_report(&report);

    let json = DemoJson {
        catalog: if ctx.catalog_flag {
            ctx.catalog_display()
        } else {
            "(temporary, removed after the demo)".to_string()
        },
        import: imported,
        collection,
        template: TemplateJson {
            name: NAME.to_string(),
            entities: entities.iter().map(|(k, _)| k.to_string()).collect(),
        },
        variables,
        deploy,
    };
    let human = human(&json, &catalog, dir);
    Ok(Output::new(&json, human))
}

fn write_sample(root: &Path) -> Result<()> {
    for (path, content) in SAMPLE {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&file, content).with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(())
}

/// Context files first, then rules, skills, commands, agents; the context
/// file is required, the rest optional.
fn deploy_order(mut keys: Vec<ArtifactKey>) -> Vec<(ArtifactKey, bool)> {
    let rank = |k: &ArtifactKey| match k.kind() {
        "context_file" => 0,
        "rule_file" => 1,
        "skill" => 2,
        "command" => 3,
        "agent" => 4,
        _ => 5,
    };
    keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    keys.into_iter()
        .map(|k| {
            let required = k.kind() == "context_file";
            (k, required)
        })
        .collect()
}

fn create_template(catalog: &Catalog, entities: &[(ArtifactKey, bool)]) -> Result<()> {
    let mut spec = TemplateSpec::new(NAME)
        .description("The stencil demo: a guide, rules, a skill, a command and an agent")
        .collection(NAME);
    for (key, required) in entities {
        spec = spec.entity(key.clone(), *required);
    }
    // A catalogue given with --catalog may hold the template from an
    // earlier run: replace it.
    match catalog.create_template(&spec) {
        Err(StoreError::AlreadyExists { .. }) => catalog.update_template(&spec),
        other => other,
    }
    .context("cannot create the demo template")
}

/// `PROJECT_NAME` for the demo: the directory's name, if it has a usable one.
fn project_name(dir: &Path) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| PathBuf::from(dir));
    absolute
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("stencil-demo")
        .to_string()
}

fn human(j: &DemoJson, catalog: &Catalog, dir: &Path) -> String {
    let i = &j.import;
    let mut out = String::from(
        "stencil demo: a sample .claude/ tree, imported, grouped, templated, deployed\n\n",
    );
    out += &format!(
        "1. Imported {} ({}) from the built-in sample tree into {} catalogue:\n",
        count(i.files, "file"),
        human_bytes(i.bytes),
        if j.catalog.starts_with('(') {
            "a temporary".to_string()
        } else {
            format!("the {}", j.catalog)
        }
    );
    let keys: Vec<&String> = i
        .created
        .iter()
        .chain(&i.updated)
        .chain(&i.unchanged)
        .collect();
    let width = keys.iter().map(|k| k.len()).max().unwrap_or(0);
    let mut sorted = keys;
    sorted.sort();
    for key in sorted {
        let described = ArtifactKey::parse(key)
            .ok()
            .and_then(|k| catalog.artifact(&k).ok())
            .map(|a| {
                let files = if a.files.len() > 1 {
                    format!(" ({} files)", a.files.len())
                } else {
                    String::new()
                };
                format!("{}{files}", a.description)
            })
            .unwrap_or_default();
        let line = format!("     {key:width$}  {described}");
        out += line.trim_end();
        out += "\n";
    }
    let by_type: Vec<String> = j
        .collection
        .by_type
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    out += &format!(
        "2. Grouped them into collection `{}`: {} ({}).\n",
        j.collection.name,
        count(j.collection.artifact_count as usize, "artifact"),
        by_type.join(", ")
    );
    out += &format!(
        "3. Created template `{}` with {} in deploy order: {}.\n",
        j.template.name,
        count(j.template.entities.len(), "entity"),
        j.template.entities.join(", ")
    );
    let vars: Vec<String> = j
        .variables
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    out += &format!("4. Deployed it with {}:\n", vars.join(" "));
    out += &format!("   {}\n", j.deploy.summary);
    for p in &j.deploy.written {
        out += &format!("     written      {p}\n");
    }
    for p in &j.deploy.skipped {
        out += &format!("     skipped      {p} (already there; the demo never overwrites)\n");
    }
    out += &format!("\nHave a look: cat {}\n", dir.join("CLAUDE.md").display());
    out += "Next: `stencil import DIR` your own .claude/ folder, `stencil template create`, `stencil deploy` (see docs/cli.md).\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_uses_the_documented_placeholders() {
        let claude = SAMPLE[0].1;
        for p in ["{{PROJECT_NAME}}", "{{AUTHOR}}", "{{DATE}}"] {
            assert!(claude.contains(p), "CLAUDE.md lacks {p}");
        }
        assert_eq!(
            SAMPLE
                .iter()
                .filter(|(p, _)| p.starts_with(".claude/skills/code-review/"))
                .count(),
            2
        );
    }

    #[test]
    fn the_context_file_deploys_first_and_is_required() -> Result<()> {
        let keys = ["skill:a", "context_file:CLAUDE.md", "rule_file:b"]
            .iter()
            .map(|k| ArtifactKey::parse(k))
            .collect::<Result<Vec<_>, _>>()?;
        let order = deploy_order(keys);
        assert_eq!(order[0].0.to_string(), "context_file:CLAUDE.md");
        assert!(order[0].1);
        assert!(!order[2].1);
        Ok(())
    }
}
