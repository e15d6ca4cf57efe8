//! The stencil catalogue: artifacts, collections, groups, tags and project
//! templates, kept in SQLite with fixed statement budgets.
//!
//! This crate is being built; it exposes nothing yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
