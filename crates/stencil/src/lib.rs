//! stencil keeps a catalogue of text artifacts — skills, commands, agents,
//! rule and context files — and deploys project templates from it: every
//! file rendered with `{{VARIABLE}}` substitution and placed atomically.
//!
//! This crate is a facade over three crates that each do one job, re-exported
//! as modules the way ripgrep's `grep` crate does:
//!
//! * [`render`] — single-pass `{{VARIABLE}}` substitution ([`stencil_render`]).
//! * [`store`] — the catalogue, on SQLite or (feature `postgres`) PostgreSQL
//!   ([`stencil_store`]).
//! * [`deploy`] — staged, atomic, recoverable placement ([`stencil_deploy`]).
//! * [`registry`] — signed static registries of packages ([`stencil_registry`]);
//!   [`packages`] maps them to and from the catalogue.
//!
//! It adds only the operations that need all three: [`deploy_template`] and
//! [`render_template`]; [`import`]: reading a real `.claude/` (or
//! `.codex/`, `.gemini/`, `.cursor/`, `.agents/`) tree, a Claude Code
//! plugin or a plugin marketplace from disk into the catalogue; and
//! [`export_plugin`]: a template written back out as a plugin.
//! Every deploy also writes a deployment record into the project, and
//! [`lifecycle`] works from it: `status`, `diff`, `update` (a three-way merge
//! per file, in one atomic deploy) and `undeploy` (see `docs/lifecycle.md`).
//!
//! # Example
//!
//! The whole flow: put artifacts in a catalogue, group them, make a template,
//! deploy it.
//!
//! ```
//! use stencil::deploy::{DeployOptions, OverwritePolicy};
//! use stencil::store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec, VariableDecl};
//! use stencil::{PathProfile, TemplateDeployOptions, deploy_template};
//!
//! let catalog = Catalog::open_in_memory()?;
//! let guide = ArtifactKey::parse("context_file:claude-md")?;
//! let review = ArtifactKey::parse("command:review")?;
//! catalog.put_artifact(
//!     &NewArtifact::new(guide.clone())
//!         .file("CLAUDE.md", "# {{PROJECT_NAME}}\n\nOwner: {{TEAM}}. Since {{DATE}}.\n"),
//! )?;
//! catalog.put_artifact(
//!     &NewArtifact::new(review.clone())
//!         .file(".claude/commands/review.md", "Review {{PROJECT_NAME}}; CI uses ${{ github.ref }}.\n"),
//! )?;
//! catalog.create_collection("starter", "every project")?;
//! catalog.add_to_collection("starter", &[guide.clone(), review.clone()])?;
//! catalog.create_template(
//!     &TemplateSpec::new("starter")
//!         .collection("starter")
//!         .entity(guide, true)
//!         .entity(review, false)
//!         .variable(VariableDecl::optional("TEAM", "platform")),
//! )?;
//!
//! let dir = tempfile::tempdir()?;
//! let project = dir.path().join("rocket");
//! let options = TemplateDeployOptions::new()
//!     .profile(PathProfile::Codex)
//!     .deploy_options(DeployOptions::new().overwrite(OverwritePolicy::Fail));
//! let report = deploy_template(&catalog, "starter", &project, [("PROJECT_NAME", "rocket")], &options)?;
//!
//! assert_eq!(report.deploy.written.len(), 2);
//! let review = std::fs::read_to_string(project.join(".codex/commands/review.md"))?;
//! assert_eq!(review, "Review rocket; CI uses ${{ github.ref }}.\n");
//! assert!(std::fs::read_to_string(project.join("CLAUDE.md"))?.contains("Owner: platform."));
//! println!("{}", report.summary());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Importing a tree
//!
//! [`import::import_tree`] reads an assistant-config folder — skills with
//! their scripts and assets, commands, agents, rules, `CLAUDE.md` — and
//! stores it in one transaction: `skills/<name>/**` becomes one `skill`,
//! `commands/**/*.md` a `command`, `agents/**/*.md` an `agent`, `rules/**` a
//! `rule_file`, anything else a `context_file`, each file at its place
//! under the root folder. Executable bits are kept; binary files, and files
//! matching [`ImportOptions::verbatim`](import::ImportOptions::verbatim)
//! globs, are stored verbatim so a deploy copies them byte for byte.
//! Symbolic links are never followed but listed as skipped. Re-importing an
//! unchanged tree writes nothing and the report says so; a changed file
//! gives only its artifact a new version.
//!
//! ```
//! use stencil::import::{ImportOptions, import_tree};
//! use stencil::store::Catalog;
//!
//! let tree = tempfile::tempdir()?;
//! std::fs::create_dir_all(tree.path().join(".claude/commands"))?;
//! std::fs::write(tree.path().join(".claude/commands/ship.md"), "Ship {{PROJECT_NAME}}.\n")?;
//! std::fs::write(tree.path().join("CLAUDE.md"), "# {{PROJECT_NAME}}\n")?;
//!
//! let catalog = Catalog::open_in_memory()?;
//! let report = import_tree(&catalog, tree.path(), &ImportOptions::new().collection("team"))?;
//! let created: Vec<String> = report.created.iter().map(|k| k.to_string()).collect();
//! assert_eq!(created, ["command:ship", "context_file:CLAUDE.md"]);
//! assert!(import_tree(&catalog, tree.path(), &ImportOptions::new())?.wrote_nothing());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crate features
//!
//! * `postgres` — the catalogue's PostgreSQL backend
//!   (`store::Catalog::open_postgres`), i.e. `stencil-store/postgres`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
// On docs.rs, items behind a feature say which one.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use stencil_deploy as deploy;
pub use stencil_registry as registry;
pub use stencil_render as render;
pub use stencil_store as store;

mod error;
mod executable;
mod export;
pub mod export_tree;
pub mod import;
pub mod lifecycle;
pub mod packages;
mod profile;
mod render_files;
mod spec;
mod template;
mod unknown;
mod variables;

pub use crate::error::{Error, FilePart};
pub use crate::executable::{EXECUTABLE_KINDS, is_executable_content};
pub use crate::export::{PluginExport, PluginExportOptions, export_plugin};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// This crate's README example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;
pub use crate::profile::{KNOWN_ROOTS, PROFILE_NAMES, PathProfile};
pub use crate::spec::{base_spec, template_spec, today};
pub use crate::template::{
    EXECUTABLE_MODE, RenderedFile, RenderedFileSummary, TemplateDeployOptions,
    TemplateDeployReport, deploy_template, render_template,
};
pub use crate::unknown::{UNKNOWN_PLACEHOLDER_LIMIT, UnknownPlaceholder};
pub use crate::variables::{TemplateVariable, template_variables};
