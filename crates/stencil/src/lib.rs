//! stencil keeps a catalogue of text artifacts and deploys project templates
//! from it.
//!
//! This crate is a facade over three independent crates, re-exported as
//! modules:
//!
//! * [`render`] — single-pass `{{VARIABLE}}` substitution ([`stencil_render`]).
//! * [`deploy`] — staged, atomic placement of files into a directory ([`stencil_deploy`]).
//! * [`store`] — the catalogue on SQLite ([`stencil_store`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub use stencil_deploy as deploy;
pub use stencil_render as render;
pub use stencil_store as store;
