//! Where an installed artifact came from, kept in the artifact's `source`
//! column (no schema change): `registry:REGISTRY/KIND:NAME@VERSION#sha256:HEX`.
//! Every artifact a package installs records the package (for a template
//! package: the template), its version and its blob's digest, so
//! `outdated`, `upgrade`, `status` and deployment records can name it.

use std::fmt;

/// The prefix of every source written by an install.
pub const PROVENANCE_PREFIX: &str = "registry:";

/// The origin of an installed artifact.
///
/// ```
/// use stencil::packages::Provenance;
///
/// let p = Provenance {
///     registry: "team".into(),
///     kind: "template".into(),
///     name: "starter".into(),
///     version: 3,
///     sha256: Some("ab".repeat(32)),
/// };
/// let text = p.to_string();
/// assert!(text.starts_with("registry:team/template:starter@3#sha256:abab"));
/// assert_eq!(Provenance::parse(&text), Some(p));
/// // Sources written before digests were recorded still parse.
/// assert_eq!(Provenance::parse("registry:team/command:x@2").unwrap().sha256, None);
/// assert_eq!(Provenance::parse("./local/tree"), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Provenance {
    /// The registry's name in this catalogue.
    pub registry: String,
    /// The package kind (`template`, or an artifact type).
    pub kind: String,
    /// The package name.
    pub name: String,
    /// The installed version.
    pub version: u64,
    /// The sha256 of the package blob as published (lowercase hex).
    pub sha256: Option<String>,
}

impl Provenance {
    /// Reads a recorded source; `None` when it is not a registry install.
    pub fn parse(source: &str) -> Option<Provenance> {
        let rest = source.strip_prefix(PROVENANCE_PREFIX)?;
        let (rest, sha256) = match rest.rsplit_once("#sha256:") {
            Some((rest, hex)) => (rest, Some(hex.to_owned())),
            None => (rest, None),
        };
        let (registry, rest) = rest.split_once('/')?;
        let (id, version) = rest.rsplit_once('@')?;
        let (kind, name) = id.split_once(':')?;
        if registry.is_empty() || kind.is_empty() || name.is_empty() {
            return None;
        }
        Some(Provenance {
            registry: registry.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            version: version.parse().ok()?,
            sha256,
        })
    }

    /// `kind:name@version`.
    pub fn package(&self) -> String {
        format!("{}:{}@{}", self.kind, self.name, self.version)
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PROVENANCE_PREFIX}{}/{}:{}@{}",
            self.registry, self.kind, self.name, self.version
        )?;
        if let Some(hex) = &self.sha256 {
            write!(f, "#sha256:{hex}")?;
        }
        Ok(())
    }
}
