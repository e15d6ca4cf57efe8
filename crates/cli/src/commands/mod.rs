//! One module per command; each returns an [`Output`](crate::output::Output)
//! (or, for `render`, raw bytes) and prints nothing on stdout itself.

pub mod artifact;
pub mod cache;
pub mod collection;
pub mod deploy;
pub mod diff;
pub mod export;
pub mod export_tree;
pub mod fetching;
pub mod import;
pub mod outdated;
pub mod recover;
pub mod registry;
pub mod remove;
pub mod render;
pub mod search;
pub mod status;
pub mod template;
pub mod undeploy;
pub mod update;
pub mod upgrade;
