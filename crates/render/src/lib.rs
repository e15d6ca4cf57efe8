//! Single-pass `{{VARIABLE}}` substitution over bytes. Strict by default:
//! an unknown placeholder is an error naming its file, line and column, and
//! values are inserted byte for byte, never rescanned.
//!
//! A [`VariableSpec`] says which variables a template accepts, requires and
//! defaults; [`VariableSpec::validate`] turns what a user supplies into
//! [`Variables`]; a [`Renderer`] built once from those renders every file.
//!
//! # Example
//!
//! ```
//! use stencil_render::{Renderer, RenderOptions, VariableSpec};
//!
//! let spec = VariableSpec::builder()
//!     .required("PROJECT_NAME")
//!     .default_value("AUTHOR", "anonymous")
//!     .build()?;
//! let vars = spec.validate([("PROJECT_NAME", "rocket")])?;
//! let renderer = Renderer::new(&vars, RenderOptions::default())?;
//!
//! let page = b"# {{PROJECT_NAME}}\r\nby {{AUTHOR}}; deploy on ${{ github.ref }}\r\n";
//! let out = renderer.render("README.md", page)?;
//! assert_eq!(&*out, &b"# rocket\r\nby anonymous; deploy on ${{ github.ref }}\r\n"[..]);
//! # Ok::<(), stencil_render::RenderError>(())
//! ```
//!
//! # The placeholder grammar
//!
//! A placeholder is `{{NAME}}` with NAME matching `[A-Za-z_][A-Za-z0-9_]*`
//! and no whitespace inside the braces. Everything else — `{{ NAME }}`,
//! GitHub's `${{ github.ref }}`, Helm's `{{ .Values.x }}`, Jinja's `{% %}`, a
//! lone `{{` — passes through byte for byte. To write a literal `{{NAME}}`
//! where NAME is a variable, write `{{\NAME}}`. See [`Renderer`] for the
//! whole grammar.
//!
//! # Bytes, not strings
//!
//! Input is `&[u8]`: CRLF line endings, a UTF-8 BOM, a missing trailing
//! newline and invalid UTF-8 outside placeholders all come out exactly as
//! they went in. Input with a NUL byte in its first 8 KiB is treated as
//! binary and returned unchanged (see [`BinaryPolicy`]).
//!
//! # Crate features
//!
//! This crate has no optional features.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
// On docs.rs, items behind a feature say which one.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod ident;
mod names;
mod renderer;
mod spec;

pub use crate::error::RenderError;

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use crate::renderer::{
    BINARY_SNIFF_LEN, BinaryPolicy, LeftPlaceholder, RenderOptions, RenderSummary, Renderer,
    UnknownPolicy,
};
pub use crate::spec::{VariableSpec, VariableSpecBuilder, Variables, is_valid_name};
