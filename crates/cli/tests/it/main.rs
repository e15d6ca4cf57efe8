//! The CLI's integration tests, through the built `stencil` binary: one
//! test binary for the crate (one link instead of one per file), each
//! concern a module.

// Helpers used by some modules only.
#[allow(dead_code)]
mod common;

mod catalogue_paths;
mod commands;
mod export_tree;
mod failures;
mod json_errors;
mod new_user;
mod postgres;
mod progress;
mod real_tree;
mod reimport;
mod removal;
mod strict;
mod variables;
