//! Single-pass `{{VARIABLE}}` substitution.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
