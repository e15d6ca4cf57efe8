//! The facade's integration tests: one test binary for the crate (one link
//! instead of one per file), each concern a module.

mod deploy_template;
mod large_files;
mod lifecycle;
mod merge_model;
// The plugin fixtures need Unix modes and a symbolic link (Wine cannot
// make links), so the plugin tests run on Unix only.
#[cfg(unix)]
mod plugins;
mod real_tree;
mod registry;
// Helpers shared with the CLI's tests, which use a subset.
#[allow(dead_code)]
mod support;
