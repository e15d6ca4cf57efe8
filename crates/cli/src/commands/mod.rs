//! One module per command; each returns an [`Output`](crate::output::Output)
//! (or, for `render`, raw bytes) and prints nothing on stdout itself.

pub mod artifact;
pub mod collection;
pub mod deploy;
pub mod export_tree;
pub mod import;
pub mod recover;
pub mod remove;
pub mod render;
pub mod template;
