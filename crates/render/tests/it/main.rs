//! The renderer's integration tests: one test binary for the crate (one
//! link instead of one per file), each concern a module.

// The reference model stays in `tests/support/`: the fuzz target includes
// the same file.
#[path = "../support/model.rs"]
mod reference;

mod model;
mod rules;
