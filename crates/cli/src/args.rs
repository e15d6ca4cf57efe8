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
    /// Import an assistant-config tree (a `.claude/`, `.codex/`, `.gemini/`,
    /// `.cursor/` or `.agents/` folder, or a directory holding one), a
    /// Claude Code plugin, or a plugin marketplace.
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
    /// with its modes; or a template as a Claude Code plugin directory with
    /// a generated `.claude-plugin/plugin.json` (`--template NAME --plugin DIR`).
    Export(ExportArgs),
    /// Each deployment in DIR: every managed file unchanged, modified or
    /// deleted, and whether the catalogue holds a newer revision.
    Status(crate::commands::status::StatusArgs),
    /// The local edits of managed files (or, with --upstream, what an
    /// update would apply) as unified diffs.
    Diff(crate::commands::diff::DiffArgs),
    /// Bring a deployment up to the catalogue's revision, merging your
    /// edits (exit 3 if conflicts were left).
    Update(crate::commands::update::UpdateArgs),
    /// Remove a deployment's unmodified files, empty directories and record.
    Undeploy(crate::commands::undeploy::UndeployArgs),
    /// Undo (or finish) a deploy into DIR that was interrupted by a crash.
    /// Uses no catalogue.
    Recover {
        /// The project directory.
        dir: PathBuf,
        /// Accepted for uniformity with the other commands, and unused.
        #[arg(long, hide = true, value_name = "PATH|URL")]
        catalog: Option<PathBuf>,
    },
    /// Ed25519 signing keys for publishing to a registry.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Export templates and artifacts into a registry directory that any
    /// static web server can host (created, with a root, on first use).
    Publish(PublishArgs),
    /// The registries this catalogue trusts.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Install packages from a trusted registry; each is verified before
    /// the catalogue is touched.
    Install(InstallArgs),
    /// The on-disk package cache: `stats`, `clear`, `prune`. Uses no
    /// catalogue.
    #[command(subcommand)]
    Cache(crate::commands::cache::CacheCommand),
    /// Search the registries' packages (from the stored snapshots,
    /// revalidated at most every few minutes).
    Search(crate::commands::search::SearchArgs),
    /// Installed packages with a newer version in their registry
    /// (`--check`: exit 3 if any).
    Outdated(crate::commands::outdated::OutdatedArgs),
    /// Move installed packages to their newest version not yanked, all in
    /// one transaction.
    Upgrade(crate::commands::upgrade::UpgradeArgs),
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
    /// The tree: a `.claude/` (or `.codex/`, `.gemini/`, `.cursor/`,
    /// `.agents/`) folder or a directory holding them, a plugin (with
    /// `.claude-plugin/plugin.json`), or a marketplace (with
    /// `.claude-plugin/marketplace.json`).
    pub dir: PathBuf,
    /// Read DIR as this layout instead of deciding by its metadata files.
    #[arg(long = "as", value_name = "LAYOUT", value_parser = ["tree", "plugin", "marketplace"])]
    pub layout: Option<String>,
    /// Also put every imported artifact into this collection (created if
    /// needed).
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    /// Store files matching this glob verbatim (never rendered). Matched
    /// against the path inside the tree, e.g. `**/*.py`. Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub verbatim: Vec<String>,
}

/// `stencil export KEY DIR`, `stencil export --template NAME DIR`, or
/// `stencil export --template NAME --plugin DIR`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// `KEY DIR` (the artifact `type:name` and the directory), or only
    /// `DIR` with `--template` (none with `--plugin`).
    #[arg(value_name = "KEY|DIR", num_args = 0..=2, required_unless_present = "plugin")]
    pub operands: Vec<String>,
    /// Export every artifact of this template instead of one artifact.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Replace files that exist (default: fail, writing nothing; a tree
    /// export only).
    #[arg(long, conflicts_with = "plugin")]
    pub overwrite: bool,
    /// Write the template as a plugin directory instead (must not exist).
    #[arg(long, value_name = "DIR", requires = "template")]
    pub plugin: Option<PathBuf>,
    /// The plugin's name (default: the template's collection, else the
    /// template's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The plugin's version (default: its collection's).
    #[arg(long, value_name = "VERSION")]
    pub version: Option<String>,
    /// The plugin's description (default: the template's, else the
    /// collection's).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
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
    /// The collection it is made from. Without `--artifact` the template
    /// follows it: its entities are the collection's members at each deploy
    /// (all optional), so members added or removed later are deployed or
    /// left out. With `--artifact`, the artifacts given, recorded as a
    /// snapshot of the collection.
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    /// Save the collection's members as they are now, a fixed list, instead
    /// of following it.
    #[arg(long, requires = "collection")]
    pub snapshot: bool,
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
    /// Deploy this template too, in the same transaction (each gets its own
    /// record). Repeatable.
    #[arg(long = "with", value_name = "TEMPLATE")]
    pub with: Vec<String>,
    /// A secret variable, `NAME=VALUE`: used like --var but never stored
    /// (the record keeps only its name; update asks for it again). Repeatable.
    #[arg(long = "secret", value_name = "NAME=VALUE", value_parser = parse_pair)]
    pub secrets: Vec<(String, String)>,
}

/// Parses `NAME=VALUE` (the value may contain `=` and be empty).
pub(crate) fn parse_pair(s: &str) -> Result<(String, String), String> {
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

/// `stencil key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key pair: the secret key file (mode 0600, never
    /// overwritten) at `--out`; the public key printed alone on stdout.
    Generate {
        /// The secret key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of a secret key file.
    Public {
        /// The secret key file.
        file: PathBuf,
    },
}

/// `stencil publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The registry directory (created on first use).
    pub dir: PathBuf,
    /// The secret key file that signs (repeatable, for a k-of-n root).
    #[arg(long = "key", value_name = "FILE", required = true)]
    pub keys: Vec<PathBuf>,
    /// Publish this template with its artifacts, as one package
    /// (repeatable).
    #[arg(long = "template", value_name = "NAME")]
    pub templates: Vec<String>,
    /// Publish this artifact (`type:name`) as its own package (repeatable).
    #[arg(long = "artifact", value_name = "TYPE:NAME")]
    pub artifacts: Vec<String>,
    /// How long the new snapshot stays valid, e.g. `30d`, `12h`
    /// [default: 30d]. Clients refuse an expired snapshot.
    #[arg(long, value_name = "DURATION")]
    pub expires: Option<String>,
    /// Re-sign the snapshot with a new expiry even if nothing changed.
    #[arg(long)]
    pub refresh: bool,
}

/// `stencil install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// `[REGISTRY/][TYPE:]NAME[@VERSION]`, e.g. `team/template:starter@2`
    /// or `starter` (the registry and type may be left out when the name
    /// is unique; the latest version not yanked when `@VERSION` is).
    #[arg(required = true, value_name = "REF")]
    pub refs: Vec<String>,
    /// Revalidate the registry's snapshot now, even if it was checked in
    /// the last few minutes.
    #[arg(long, conflicts_with = "offline")]
    pub refresh: bool,
    /// Use the stored snapshot only (signatures checked, expiry not).
    #[arg(long)]
    pub offline: bool,
}

/// `stencil registry …`.
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Trust a registry: fetch its root, check it against the given keys
    /// (or root digest), fetch its snapshot, remember both.
    Add {
        /// The name to know it by.
        name: String,
        /// A directory, `file://` URL, or `http://`/`https://` URL.
        url: String,
        /// A trusted public key (`ed25519:<base64>`), or the root's digest
        /// (`sha256:<hex>`). Repeatable.
        #[arg(long = "trust", value_name = "PUBKEY", required = true)]
        trust: Vec<String>,
        /// How many of the `--trust` keys must have signed the root
        /// [default: 1].
        #[arg(long, value_name = "K")]
        threshold: Option<u32>,
    },
    /// The registries of this catalogue.
    List,
    /// Revalidate a registry now and download every package version not
    /// yanked into the disk cache (for `--offline` use later).
    Sync {
        /// Its name.
        name: String,
    },
    /// Forget a registry and everything seen of it.
    Remove {
        /// Its name.
        name: String,
    },
}
