//! The project's store of rendered bases: every text file's rendered bytes
//! as of its last deploy or update, content-addressed under
//! `.stencil/bases/<2 hex>/<62 hex>`, so an update can run a three-way
//! merge when the old template revision is gone from the catalogue, or the
//! catalogue is a fresh one on another machine.
//!
//! Bases are meant to be committed with the project. They are stored
//! uncompressed: version control compresses and delta-encodes them itself,
//! and a compressed blob would defeat its deltas between revisions of one
//! file. A base never holds a secret: where a secret's value was rendered,
//! the base holds the placeholder `{{NAME}}` instead (see
//! [`unmask_secrets`]).

use std::path::{Path, PathBuf};

use crate::deploy::STATE_DIR;
use crate::lifecycle::LifecycleError;
use crate::lifecycle::revision::sha256_hex;
use crate::render::{RenderOptions, Renderer, UnknownPolicy, VariableSpec};

/// Where bases live under [`STATE_DIR`].
pub const BASES_DIR: &str = "bases";

/// The path of base `key` (a sha256 hex digest) relative to the project root.
pub fn base_rel_path(key: &str) -> String {
    let (dir, rest) = key.split_at(2.min(key.len()));
    format!("{STATE_DIR}/{BASES_DIR}/{dir}/{rest}")
}

/// Reads base `key` from `project` and checks it still hashes to `key`.
///
/// # Errors
///
/// [`LifecycleError::MissingBase`] when it is not there (a project whose
/// `.stencil/bases/` was not committed), [`LifecycleError::CorruptBase`]
/// when its bytes do not hash to its name, [`LifecycleError::Io`] otherwise.
pub fn read_base(project: &Path, key: &str) -> Result<Vec<u8>, LifecycleError> {
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LifecycleError::CorruptBase {
            path: project.join(STATE_DIR).join(BASES_DIR),
            key: key.to_string(),
        });
    }
    let path: PathBuf = project.join(base_rel_path(key));
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LifecycleError::MissingBase {
                path,
                key: key.to_string(),
            });
        }
        Err(e) => return Err(LifecycleError::io("read", path, e)),
    };
    if sha256_hex(&bytes) != key {
        return Err(LifecycleError::CorruptBase {
            path,
            key: key.to_string(),
        });
    }
    Ok(bytes)
}

/// Puts secret values back into a masked base: each `{{NAME}}` of a secret
/// becomes its value; everything else is left byte for byte.
///
/// The one case this cannot tell apart: a template that writes a literal
/// `{{NAME}}` (escaped as `{{\NAME}}`) for a name that is also a secret
/// gets the secret's value there in the reconstructed base, so update sees
/// that line as changed upstream.
///
/// # Errors
///
/// [`LifecycleError::Render`] only if a secret name is not a valid name.
pub fn unmask_secrets<'a>(
    masked: &'a [u8],
    secrets: &[(String, String)],
) -> Result<std::borrow::Cow<'a, [u8]>, LifecycleError> {
    if secrets.is_empty() {
        return Ok(std::borrow::Cow::Borrowed(masked));
    }
    let vars = VariableSpec::open().validate(secrets.iter().cloned())?;
    let renderer = Renderer::new(&vars, RenderOptions::new().unknown(UnknownPolicy::Lenient))?;
    Ok(renderer.render("base", masked)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tampered_base_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = sha256_hex(b"hello\n");
        let path = dir.path().join(base_rel_path(&key));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "hello\n").unwrap();
        assert_eq!(read_base(dir.path(), &key).unwrap(), b"hello\n");
        std::fs::write(&path, "hellO\n").unwrap();
        assert!(matches!(
            read_base(dir.path(), &key),
            Err(LifecycleError::CorruptBase { .. })
        ));
        assert!(matches!(
            read_base(dir.path(), "../../etc/passwd"),
            Err(LifecycleError::CorruptBase { .. })
        ));
    }

    #[test]
    fn unmasking_restores_only_secret_placeholders() {
        let masked = b"token={{TOKEN}} other={{OTHER}} ${{ x }}\n";
        let out = unmask_secrets(masked, &[("TOKEN".into(), "s3cr{{OTHER}}".into())]).unwrap();
        assert_eq!(&*out, b"token=s3cr{{OTHER}} other={{OTHER}} ${{ x }}\n");
    }
}
