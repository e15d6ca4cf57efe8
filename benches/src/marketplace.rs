//! A synthetic plugin marketplace the size of the largest public one
//! (issue 18: 91 local plugins, 202 agents, 105 commands, 181 skills; 30
//! agent names in more than one plugin): ~90 plugins, ~550 artifacts,
//! ~1,200 files, each plugin a `.claude-plugin/plugin.json` beside agents,
//! commands, skills with resources and scripts, some hooks and `.mcp.json`,
//! and a README that is not imported. Deterministic.

use std::io;
use std::path::Path;

use crate::import_tree::{TreeStats, text, write};

/// The shape of a generated marketplace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketplaceSpec {
    /// Local plugins listed (plus one remote entry, skipped).
    pub plugins: usize,
    /// Approximate size of each text file.
    pub file_bytes: usize,
}

impl Default for MarketplaceSpec {
    /// 90 plugins, ~2 KiB files: ~550 artifacts in ~1,200 files.
    fn default() -> MarketplaceSpec {
        MarketplaceSpec {
            plugins: 90,
            file_bytes: 2048,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarketplaceStats {
    /// Every regular file written (manifests and READMEs included).
    pub files: TreeStats,
    /// Artifacts an import must create.
    pub artifacts: usize,
}

/// Agent names drawn from a small pool so that, as in real marketplaces,
/// the same file name occurs in many plugins with different content.
const AGENT_NAMES: [&str; 40] = [
    "backend-architect",
    "frontend-developer",
    "code-reviewer",
    "test-automator",
    "security-auditor",
    "database-optimizer",
    "devops-troubleshooter",
    "api-documenter",
    "performance-engineer",
    "debugger",
    "data-scientist",
    "ml-engineer",
    "cloud-architect",
    "network-engineer",
    "incident-responder",
    "docs-architect",
    "tutorial-engineer",
    "ui-designer",
    "mobile-developer",
    "graphql-architect",
    "python-pro",
    "rust-pro",
    "golang-pro",
    "typescript-pro",
    "java-pro",
    "sql-pro",
    "terraform-specialist",
    "kubernetes-architect",
    "observability-engineer",
    "payment-integration",
    "legal-advisor",
    "seo-writer",
    "search-specialist",
    "prompt-engineer",
    "context-manager",
    "error-detective",
    "deployment-engineer",
    "architect-review",
    "legacy-modernizer",
    "dx-optimizer",
];

/// Writes a marketplace shaped by `spec` under `root`.
pub fn generate(root: &Path, spec: MarketplaceSpec) -> io::Result<MarketplaceStats> {
    let mut stats = MarketplaceStats::default();
    let files = &mut stats.files;
    let len = spec.file_bytes;
    let mut entries = Vec::with_capacity(spec.plugins + 1);
    for p in 0..spec.plugins {
        let name = format!("plugin-{p:03}");
        let base = format!("plugins/{name}");
        entries.push(format!(
            "    {{ \"name\": \"{name}\", \"source\": \"./{base}\", \"category\": \"development\" }}"
        ));
        let manifest = format!(
            "{{\n  \"name\": \"{name}\",\n  \"version\": \"1.{p}.0\",\n  \"description\": \"Generated plugin {p}\",\n  \"author\": {{ \"name\": \"Bench\" }},\n  \"license\": \"MIT\"\n}}\n"
        );
        write(
            root,
            &format!("{base}/.claude-plugin/plugin.json"),
            manifest.as_bytes(),
            false,
            files,
        )?;
        write(
            root,
            &format!("{base}/README.md"),
            &text("md", len, p),
            false,
            files,
        )?;
        for a in 0..2 {
            let agent = AGENT_NAMES[(p * 2 + a) % AGENT_NAMES.len()];
            write(
                root,
                &format!("{base}/agents/{agent}.md"),
                &text("md", len, p * 7 + a),
                false,
                files,
            )?;
            stats.artifacts += 1;
        }
        for c in 0..(1 + p % 2) {
            write(
                root,
                &format!("{base}/commands/cmd-{c}.md"),
                &text("md", len, p * 11 + c),
                false,
                files,
            )?;
            stats.artifacts += 1;
        }
        for s in 0..2 {
            let skill = format!("{base}/skills/skill-{s}");
            write(
                root,
                &format!("{skill}/SKILL.md"),
                &text("md", len, p * 13 + s),
                false,
                files,
            )?;
            write(
                root,
                &format!("{skill}/reference.md"),
                &text("md", len, p * 17 + s),
                false,
                files,
            )?;
            write(
                root,
                &format!("{skill}/scripts/run.py"),
                &text("py", len, p + s),
                true,
                files,
            )?;
            if p % 2 == 0 {
                write(
                    root,
                    &format!("{skill}/templates/page.html"),
                    &text("html", len, p + s),
                    false,
                    files,
                )?;
            }
            stats.artifacts += 1;
        }
        if p % 3 == 0 {
            let hooks = "{ \"hooks\": { \"PostToolUse\": [ { \"matcher\": \"Write\", \"hooks\": [ { \"type\": \"command\", \"command\": \"${CLAUDE_PLUGIN_ROOT}/hooks/fmt.sh\" } ] } ] } }\n";
            write(
                root,
                &format!("{base}/hooks/hooks.json"),
                hooks.as_bytes(),
                false,
                files,
            )?;
            write(
                root,
                &format!("{base}/hooks/fmt.sh"),
                &text("sh", len / 4, p),
                true,
                files,
            )?;
            stats.artifacts += 1;
        }
        if p % 4 == 0 {
            let mcp = format!(
                "{{ \"mcpServers\": {{ \"srv-{p}\": {{ \"command\": \"npx\", \"args\": [\"-y\", \"srv-{p}\"] }} }} }}\n"
            );
            write(
                root,
                &format!("{base}/.mcp.json"),
                mcp.as_bytes(),
                false,
                files,
            )?;
            stats.artifacts += 1;
        }
    }
    entries.push(
        "    { \"name\": \"remote\", \"source\": { \"source\": \"github\", \"repo\": \"example/remote\" } }"
            .to_string(),
    );
    let marketplace = format!(
        "{{\n  \"name\": \"bench-marketplace\",\n  \"owner\": {{ \"name\": \"Bench\" }},\n  \"plugins\": [\n{}\n  ]\n}}\n",
        entries.join(",\n")
    );
    write(
        root,
        ".claude-plugin/marketplace.json",
        marketplace.as_bytes(),
        false,
        files,
    )?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stencil::import::{ImportOptions, Layout, import_tree};
    use stencil::store::Catalog;

    #[test]
    fn the_generated_marketplace_imports_every_artifact_it_promises() {
        let dir = tempfile::tempdir().unwrap();
        let spec = MarketplaceSpec {
            plugins: 12,
            file_bytes: 256,
        };
        let stats = generate(dir.path(), spec).unwrap();
        let catalog = Catalog::open_in_memory().unwrap();
        let report = import_tree(&catalog, dir.path(), &ImportOptions::new()).unwrap();
        assert_eq!(report.layout, Layout::Marketplace);
        assert_eq!(report.plugins.len(), 12);
        assert_eq!(report.skipped_plugins.len(), 1);
        assert_eq!(report.created.len(), stats.artifacts);
        // Manifests and READMEs are read past, every other file imported.
        assert_eq!(report.files, stats.files.files - 1 - 2 * 12);
    }
}
