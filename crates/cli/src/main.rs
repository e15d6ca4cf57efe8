//! `stencil`, the command-line tool: keep a catalogue of assistant artifacts
//! (skills, commands, agents, rule and context files), import real
//! `.claude/` trees into it, and deploy project templates from it —
//! rendered with `{{VARIABLE}}` substitution and placed atomically.
//!
//! Run `stencil demo` for the whole flow on a built-in sample, and see
//! `docs/cli.md` for every command and its `--json` shape.
//!
//! Exit codes: 0 on success, 1 on any error (one line on stderr, starting
//! with `error:`, and with `--json` one `{"error": {...}}` object on
//! stdout), 2 on a usage error, 3 when `status --check` finds
//! something to attend to or `update` leaves (or aborts on) conflicts.

mod args;
mod commands;
mod context;
mod demo;
mod exit;
mod failure;
mod output;

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::render::Rendered;
use crate::context::Context;
use crate::failure::{error_document, error_json, one_line, print_json};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, wants_json(&args)),
    };
    let ctx = Context::new(cli.catalog.clone(), cli.json);
    match run(&ctx, &cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<exit::NeedsAttention>().is_some() => {
            match e
                .downcast_ref::<exit::NeedsAttention>()
                .map(|n| n.0.print(ctx.json))
            {
                Some(Ok(())) => ExitCode::from(exit::ATTENTION),
                _ => ExitCode::FAILURE,
            }
        }
        Err(e) => {
            if ctx.json {
                print_json(&error_json(&e));
            }
            eprintln!("{} {}", ctx.style.error_prefix(), one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// Whether `--json` is among the options (the command line did not parse,
/// so clap cannot say): before a `--`, where anything is an argument.
fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// Clap's own message on stderr and exit code (2; 0 for `--help` and
/// `--version`), and with `--json` one error object on stdout first.
fn usage_error(e: &clap::Error, json: bool) -> ExitCode {
    // `--help` and `--version` are not errors (clap exits 0 for them).
    let help = e.exit_code() == 0;
    if json && !help {
        // Clap's first line, without its `error: ` and colours.
        let rendered = e.render().to_string();
        let first = rendered.lines().next().unwrap_or_default();
        let message = first.strip_prefix("error: ").unwrap_or(first);
        print_json(&error_document("usage", message, Default::default()));
    }
    let _ = e.print();
    ExitCode::from(e.exit_code().clamp(0, 255) as u8)
}
fn run(ctx: &Context, command: &Command) -> Result<()> {
    let output = match command {
        Command::Init => commands::recover::init(ctx)?,
        Command::Import(args) => commands::import::run(ctx, args)?,
        Command::Artifact(c) => commands::artifact::run(ctx, c)?,
        Command::Collection(c) => commands::collection::run(ctx, c)?,
        Command::Tag(c) => commands::collection::run_tag(ctx, c)?,
        Command::Template(c) => commands::template::run(ctx, c)?,
        Command::Deploy(args) => commands::deploy::run(ctx, args)?,
        Command::Export(args) if args.plugin.is_some() => commands::export::run(ctx, args)?,
        Command::Export(args) => commands::export_tree::run(ctx, args)?,
        Command::Recover { dir, .. } => commands::recover::run(dir)?,
        Command::Key(c) => commands::registry::run_key(c)?,
        Command::Publish(args) => commands::registry::run_publish(ctx, args)?,
        Command::Registry(c) => commands::registry::run(ctx, c)?,
        Command::Status(args) => commands::status::run(ctx, args)?,
        Command::Diff(args) => commands::diff::run(ctx, args)?,
        Command::Update(args) => commands::update::run(ctx, args)?,
        Command::Undeploy(args) => commands::undeploy::run(args)?,
        Command::Install(args) => commands::registry::run_install(ctx, args)?,
        Command::Cache(c) => commands::cache::run(c)?,
        Command::Search(args) => commands::search::run(ctx, args)?,
        Command::Outdated(args) => commands::outdated::run(ctx, args)?,
        Command::Upgrade(args) => commands::upgrade::run(ctx, args)?,
        Command::Demo { dir } => demo::run(ctx, dir)?,
        Command::Render(args) => match commands::render::run(ctx, args)? {
            Rendered::Json(output) => output,
            Rendered::Bytes(bytes, warnings) => {
                for w in warnings {
                    eprintln!("{} {w}", ctx.style.warning_prefix());
                }
                commands::render::write_bytes(&bytes)?;
                return Ok(());
            }
        },
    };
    output.print(ctx.json)?;
    Ok(())
}
