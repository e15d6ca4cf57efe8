//! `stencil`, the command-line tool: keep a catalogue of assistant artifacts
//! (skills, commands, agents, rule and context files), import real
//! `.claude/` trees into it, and deploy project templates from it —
//! rendered with `{{VARIABLE}}` substitution and placed atomically.
//!
//! Run `stencil demo` for the whole flow on a built-in sample, and see
//! `docs/cli.md` for every command and its `--json` shape.
//!
//! Exit codes: 0 on success, 1 on any error (one line on stderr, starting
//! with `error:`), 2 on a usage error.

mod args;
mod commands;
mod context;
mod demo;
mod output;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::render::Rendered;
use crate::context::Context;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ctx = Context::new(cli.catalog.clone(), cli.json);
    match run(&ctx, &cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{} {}", ctx.style.error_prefix(), one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, each cause said once: library
/// errors often repeat their source in their own message.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        let tail = text.rsplit(": ").next().unwrap_or(&text);
        if line.contains(&text) || (!line.is_empty() && line.contains(tail)) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
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
        Command::Recover { dir } => commands::recover::run(dir)?,
        Command::Key(c) => commands::registry::run_key(c)?,
        Command::Publish(args) => commands::registry::run_publish(ctx, args)?,
        Command::Registry(c) => commands::registry::run(ctx, c)?,
        Command::Install(args) => commands::registry::run_install(ctx, args)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_said_are_not_repeated() {
        let e = anyhow::anyhow!("Error code 26: file is not a database")
            .context("database error while opening: file is not a database")
            .context("cannot open catalogue c.db");
        assert_eq!(
            one_line(&e),
            "cannot open catalogue c.db: database error while opening: file is not a database"
        );
        let e = anyhow::anyhow!("two\nlines").context("outer");
        assert_eq!(one_line(&e), "outer: two lines");
    }
}
