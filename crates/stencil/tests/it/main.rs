//! The facade's integration tests: one test binary for the crate (one link
//! instead of one per file), each concern a module.

mod deploy_template;
mod real_tree;
