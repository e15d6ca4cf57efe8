//! The original system's acceptance case as a catalogue on disk: a template
//! of 10 entities, each file holding `{{PROJECT_NAME}}`×3, `{{AUTHOR}}`×2
//! and `{{DATE}}`×2.

use std::path::Path;

use stencil::store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};
use stencil::{TemplateDeployOptions, render_template};

/// The template's name.
pub const TEMPLATE: &str = "acceptance";

/// The variables of a deploy.
pub const VARS: [(&str, &str); 3] = [
    ("PROJECT_NAME", "rocket"),
    ("AUTHOR", "Ada Lovelace"),
    ("DATE", "2026-11-21"),
];

/// Creates the catalogue file at `path` holding the acceptance template.
pub fn acceptance_catalog(path: &Path) -> Result<Catalog, stencil::store::Error> {
    let catalog = Catalog::open(path)?;
    let body = "---\nname: {{PROJECT_NAME}}\n---\n# {{PROJECT_NAME}}\n\n\
                Written by {{AUTHOR}} on {{DATE}} for {{PROJECT_NAME}}.\n\
                Reviewed by {{AUTHOR}} on {{DATE}}.\n";
    let kinds = ["skill", "command", "agent", "rule_file", "context_file"];
    let mut spec = TemplateSpec::new(TEMPLATE);
    for i in 0..10 {
        let kind = kinds[i % kinds.len()];
        let key = ArtifactKey::new(kind, format!("item{i}"))?;
        let path = match kind {
            "skill" => format!(".claude/skills/item{i}/SKILL.md"),
            "command" => format!(".claude/commands/item{i}.md"),
            "agent" => format!(".claude/agents/item{i}.md"),
            "rule_file" => format!(".claude/rules/item{i}.md"),
            _ => format!("docs/item{i}.md"),
        };
        catalog.put_artifact(&NewArtifact::new(key.clone()).file(path, body))?;
        spec = spec.entity(key, true);
    }
    catalog.create_template(&spec)?;
    Ok(catalog)
}

/// The acceptance template rendered in memory, as `(path, bytes)` pairs:
/// what the direct-write floor (`deploy_data::naive`) writes.
pub fn rendered(catalog: &Catalog) -> Vec<(String, Vec<u8>)> {
    render_template(catalog, TEMPLATE, VARS, &TemplateDeployOptions::new())
        .expect("the acceptance template renders")
        .into_iter()
        .map(|f| (f.path.as_str().to_string(), f.contents))
        .collect()
}
