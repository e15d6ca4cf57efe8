//! Shared corpora and baselines for the stencil benchmarks.
//!
//! Everything here exists so that each criterion group can compare stencil
//! with a baseline in the same run.

pub mod cache_fixture;
pub mod deploy_data;
pub mod e2e_corpus;
pub mod import_tree;
pub mod marketplace;
pub mod name_lookup;
pub mod peers;
pub mod quick;
pub mod registry_data;
pub mod render_corpus;
pub mod store_data;
