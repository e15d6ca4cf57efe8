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
mod lifecycle;
mod new_user;
mod plugins;
mod postgres;
mod progress;
mod real_tree;
mod registry;
mod reimport;
mod removal;
mod strict;
mod variables;
// The facade's helpers for the shared plugin fixtures.
#[allow(dead_code)]
#[path = "../../../stencil/tests/it/support.rs"]
mod support;
