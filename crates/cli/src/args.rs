//! The command line, declared with clap's derive API.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use stencil::PathProfile;

/// Keep a catalogue of assistant artifacts (skills, commands, agents, rules,
/// context files) and deploy project templates from it.
#[derive(Debug, Parser)]
#[command(name = "stencil", version, about, long_about = None)]
pub struct Cli {
    /// The catalogue file, or a PostgreSQL database (`postgres://…` or
    /// `host=… dbname=…`) [default: `$STENCIL_CATALOG`, else
    /// `./.stencil/catalog.db`; `demo` uses a temporary one unless this flag
    /// is given].
    #[arg(long, global = true, value_name = "PATH|URL")]
    pub catalog: Option<PathBuf>,

    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the catalogue (nothing happens if it exists).
    Init,
    /// Import an assistant-config tree (a `.claude/`, `.codex/`, `.gemini/`
    /// or `.cursor/` folder, or a directory holding one).
    Import(ImportArgs),
    /// Artifacts in the catalogue.
    #[command(subcommand)]
    Artifact(ArtifactCommand),
    /// Collections of artifacts.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Tags on artifacts.
    #[command(subcommand)]
    Tag(TagCommand),
    /// Project templates.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Render one file (or stdin) with `{{VARIABLE}}` substitution to stdout.
    /// Uses no catalogue.
    Render(RenderArgs),
    /// Render a template from the catalogue and place it into a directory,
    /// atomically.
    Deploy(DeployArgs),
    /// Write an artifact (`export KEY DIR`) or every artifact of a template
    /// (`export --template NAME DIR`) back out as a tree, byte for byte
    /// with its modes.
    Export(ExportTreeArgs),
    /// Undo (or finish) a deploy into DIR that was interrupted by a crash.
    /// Uses no catalogue.
    Recover {
        /// The project directory.
        dir: PathBuf,
        /// Accepted for uniformity with the other commands, and unused.
        #[arg(long, hide = true, value_name = "PATH|URL")]
        catalog: Option<PathBuf>,
    },
    /// Run the whole flow on a built-in sample tree: import, collection,
    /// template, deploy into DIR. Uses a fresh temporary catalogue unless
    /// `--catalog` is given (`STENCIL_CATALOG` is not read, so the demo never
    /// writes into your catalogue by accident).
    Demo {
        /// Where to deploy the sample project.
        #[arg(default_value = "./stencil-demo")]
        dir: PathBuf,
    },
}

/// `stencil import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tree: a `.claude/` (or `.codex/`, `.gemini/`, `.cursor/`) folder,
    /// or a directory holding one or more of them.
    pub dir: PathBuf,
    /// Also put every imported artifact into this collection (created if
    /// needed).
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    /// Store files matching this glob verbatim (never rendered). Matched
    /// against the path inside the tree, e.g. `**/*.py`. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub verbatim: Vec<String>,
}

/// `stencil artifact …`.
#[derive(Debug, Subcommand)]
pub enum ArtifactCommand {
    /// List artifacts, one page at a time.
    List(ArtifactListArgs),
    /// Show one artifact and its files.
    Show {
        /// `type:name`.
        key: String,
    },
    /// Mark files of an artifact verbatim (copied without rendering), or
    /// clear the mark with `--off`.
    Verbatim {
        /// `type:name`.
        key: String,
        /// Target paths of the files to mark; all files when none given.
        paths: Vec<String>,
        /// Clear the mark instead.
        #[arg(long)]
        off: bool,
    },
    /// Remove an artifact from the catalogue, with its files, tags and
    /// memberships (refused while a template lists it).
    Remove {
        /// `type:name`.
        key: String,
    },
}

/// `stencil artifact list`.
#[derive(Debug, Args)]
pub struct ArtifactListArgs {
    /// Only artifacts of this type (repeatable: any of them).
    #[arg(long = "type", value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only artifacts carrying this tag (repeatable: all of them).
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Only members of this collection.
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    /// Only artifacts whose name or description contains this text.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Page size, 1 to 500.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Continue after this cursor (the `next_cursor` of the previous page).
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
}

/// `stencil collection …`.
#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Create an empty collection.
    Create {
        /// Its name.
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Add artifacts to a collection.
    Add {
        /// The collection.
        name: String,
        /// `type:name` keys.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// Remove artifacts from a collection.
    Remove {
        /// The collection.
        name: String,
        /// `type:name` keys.
        #[arg(required = true)]
        keys: Vec<String>,
    },
    /// List collections with their counts.
    List {
        /// Page size, 1 to 500.
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Continue after this cursor.
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
    },
    /// Delete a collection (its artifacts stay).
    Delete {
        /// The collection.
        name: String,
    },
    /// Rename a collection; its members and templates follow.
    Rename {
        /// Its name now.
        from: String,
        /// Its new name.
        to: String,
    },
}

/// `stencil tag …`.
#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Add tags to an artifact.
    Add {
        /// `type:name`.
        key: String,
        /// The tags.
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// Remove tags from an artifact.
    Remove {
        /// `type:name`.
        key: String,
        /// The tags.
        #[arg(required = true)]
        tags: Vec<String>,
    },
    /// List every tag with the number of artifacts carrying it.
    List,
}

/// `stencil template …`.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Create a template from artifacts (in deploy order).
    Create(TemplateCreateArgs),
    /// List templates.
    List,
    /// Show a template: variables, entities and their files.
    Show {
        /// The template.
        name: String,
    },
    /// Delete a template (its artifacts stay).
    Delete {
        /// The template.
        name: String,
    },
}

/// `stencil template create`.
#[derive(Debug, Args)]
pub struct TemplateCreateArgs {
    /// The template's name.
    pub name: String,
    /// An entity, `TYPE:NAME`; a trailing `?` makes it optional. Repeatable;
    /// the order is the deploy order.
    #[arg(long = "artifact", value_name = "TYPE:NAME[?]")]
    pub artifacts: Vec<String>,
    /// A variable the template declares: `NAME` (required) or
    /// `NAME=DEFAULT`. Repeatable.
    #[arg(long = "var", value_name = "NAME[=DEFAULT]")]
    pub vars: Vec<String>,
    /// The collection it is built from. Without `--artifact`, every member
    /// becomes an optional entity.
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    /// What it is for.
    #[arg(long, default_value = "")]
    pub description: String,
    /// Replace a template of the same name.
    #[arg(long)]
    pub replace: bool,
}

/// `stencil render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The file to render; `-` or nothing reads stdin.
    pub file: Option<PathBuf>,
    /// A variable, `NAME=VALUE`. Repeatable; any name is allowed.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub vars: Vec<(String, String)>,
    /// Leave unknown placeholders as they are (and list them on stderr).
    #[arg(long)]
    pub lenient: bool,
    /// Accepted for uniformity with the other commands, and unused (the
    /// global flag, hidden here so `render --help` does not offer it).
    #[arg(long, hide = true, value_name = "PATH|URL")]
    pub catalog: Option<PathBuf>,
}

/// `stencil deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The template.
    pub template: String,
    /// The project directory (created if needed).
    pub dir: PathBuf,
    /// A variable, `NAME=VALUE`. Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub vars: Vec<(String, String)>,
    /// Deploy only these entities (`TYPE:NAME`); required ones must be among
    /// them. Repeatable.
    #[arg(long = "only", value_name = "TYPE:NAME")]
    pub only: Vec<String>,
    /// Replace existing files (default: skip them).
    #[arg(long, conflicts_with = "fail_existing")]
    pub overwrite: bool,
    /// Fail, changing nothing, if any planned file exists.
    #[arg(long)]
    pub fail_existing: bool,
    /// Put files under this assistant's folder: claude, codex, gemini,
    /// cursor (or as-stored, the default).
    #[arg(long, value_name = "NAME", value_parser = parse_profile, conflicts_with = "profile_root")]
    pub profile: Option<PathProfile>,
    /// Put files under this custom folder instead (a relative path, e.g.
    /// `.assistant` or `config/ai`).
    #[arg(long, value_name = "DIR", value_parser = parse_profile_root)]
    pub profile_root: Option<PathProfile>,
    /// fsync every file and directory before committing.
    #[arg(long)]
    pub durable: bool,
    /// Show what would be done; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Leave unknown placeholders as they are, and list every one left.
    #[arg(long)]
    pub lenient: bool,
}

/// `stencil export KEY DIR` / `stencil export --template NAME DIR`.
#[derive(Debug, Args)]
pub struct ExportTreeArgs {
    /// `KEY DIR` (the artifact `type:name` and the directory), or only
    /// `DIR` with `--template`.
    #[arg(value_name = "KEY|DIR", required = true, num_args = 1..=2)]
    pub operands: Vec<String>,
    /// Export every artifact of this template instead of one artifact.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Replace files that exist (default: fail, writing nothing).
    #[arg(long)]
    pub overwrite: bool,
}

/// Parses `NAME=VALUE` (the value may contain `=` and be empty).
fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

fn parse_profile(s: &str) -> Result<PathProfile, String> {
    s.parse()
        .map_err(|e: stencil::Error| format!("{e} (for a custom folder use --profile-root DIR)"))
}

fn parse_profile_root(s: &str) -> Result<PathProfile, String> {
    PathProfile::custom(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pairs_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_pair("A=b=c"),
            Ok(("A".to_string(), "b=c".to_string()))
        );
        assert_eq!(parse_pair("A="), Ok(("A".to_string(), String::new())));
        assert!(parse_pair("A").is_err());
        assert!(parse_pair("=x").is_err());
    }
}
