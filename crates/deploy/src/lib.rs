//! Staged, atomic, crash-recoverable placement of a file set into a project
//! directory.
//!
//! This crate is being built; it exposes nothing yet.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
