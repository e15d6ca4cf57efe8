//! Shared corpora and baselines for the stencil benchmarks.
//!
//! Everything here exists so that each criterion group can compare stencil
//! with a baseline in the same run.

pub mod render_corpus;
