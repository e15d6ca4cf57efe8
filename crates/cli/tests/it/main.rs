//! The CLI's integration tests, through the built `stencil` binary: one
//! test binary for the crate (one link instead of one per file), each
//! concern a module.

// Helpers used by some modules only.
#[allow(dead_code)]
mod common;

mod cache;
mod catalogue_paths;
mod commands;
// Checks file modes (0755/0644): Unix only.
#[cfg(unix)]
mod export_tree;
mod failures;
mod following;
mod json_errors;
mod lifecycle;
mod new_user;
// The plugin fixtures need Unix modes and a symbolic link (Wine cannot
// make links), so the plugin tests run on Unix only.
#[cfg(unix)]
mod plugins;
// Without the `postgres` feature the binary refuses PostgreSQL catalogues
// (no_postgres); with it, it opens them (postgres).
#[cfg(not(feature = "postgres"))]
mod no_postgres;
#[cfg(feature = "postgres")]
mod postgres;
// Needs `script` (util-linux) for a terminal: Unix only.
#[cfg(unix)]
mod progress;
mod real_tree;
mod registry;
mod reimport;
mod removal;
mod static_http;
mod strict;
mod variables;
// The facade's helpers for the shared plugin fixtures.
#[allow(dead_code)]
#[path = "../../../stencil/tests/it/support.rs"]
mod support;
