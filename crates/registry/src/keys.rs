//! Ed25519 keys: the public-key text form, secret key files, signing.
//!
//! All cryptography is `ed25519-dalek`'s; this module only encodes keys as
//! text and guards the secret key file.

use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::error::{Error, ErrorKind};

/// Text prefix of a public key: `ed25519:<base64 of the 32 key bytes>`.
const PUBLIC_PREFIX: &str = "ed25519:";
/// Text prefix of a secret key file's one line.
const SECRET_PREFIX: &str = "ed25519-secret:";
/// A key file is one short line; anything longer is not ours.
const MAX_KEY_FILE_BYTES: u64 = 1024;

/// An ed25519 public key, written `ed25519:<base64>` (standard alphabet,
/// padded), e.g. in `root.json` and on the command line.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// The 32 key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Verifies `signature` over `message` with `verify_strict` (which
    /// rejects weak keys and non-canonical signatures, so one message has
    /// one valid signature per key).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(bytes) = <[u8; 64]>::try_from(signature) else {
            return false;
        };
        self.0
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", BASE64.encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<PublicKey, Error> {
        let bad = |reason: &str| {
            Error::invalid(
                "public key",
                ErrorKind::BadKey {
                    key: text.chars().take(80).collect(),
                    reason: reason.to_owned(),
                },
            )
        };
        let encoded = text
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| bad("a public key starts with `ed25519:`"))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|e| bad(&format!("not base64: {e}")))?;
        let bytes = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| bad("an ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a point on the curve"))?;
        if key.is_weak() {
            return Err(bad("a weak (small-order) key"));
        }
        Ok(PublicKey(key))
    }
}

/// An ed25519 secret key. It never leaves the process except through
/// [`SecretKey::create_file`]; `Debug` shows only the public half.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<SecretKey, Error> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| {
            Error::invalid(
                "secret key",
                ErrorKind::Io(std::io::Error::other(format!("no randomness: {e}"))),
            )
        })?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }

    /// A key from a 32-byte seed (for tests and reproducible fixtures).
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0.sign(message).to_bytes().to_vec()
    }

    /// Writes a new key file at `path`: one line `ed25519-secret:<base64>`,
    /// created with mode 0600 (on Unix) and never over an existing file.
    pub fn create_file(&self, path: &Path) -> Result<(), Error> {
        let fail = |kind: ErrorKind| Error::Key {
            path: path.to_owned(),
            kind,
        };
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                fail(ErrorKind::KeyFileExists)
            } else {
                fail(ErrorKind::Io(e))
            }
        })?;
        let line = format!("{SECRET_PREFIX}{}\n", BASE64.encode(self.0.to_bytes()));
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| fail(ErrorKind::Io(e)))
    }

    /// Reads a key file written by [`create_file`](Self::create_file). On
    /// Unix a file readable or writable by group or others is refused, as
    /// ssh does.
    pub fn read_file(path: &Path) -> Result<SecretKey, Error> {
        let fail = |kind: ErrorKind| Error::Key {
            path: path.to_owned(),
            kind,
        };
        let file = fs::File::open(path).map_err(|e| fail(ErrorKind::Io(e)))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file
                .metadata()
                .map_err(|e| fail(ErrorKind::Io(e)))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(fail(ErrorKind::KeyFilePermissions { mode: mode & 0o777 }));
            }
        }
        let mut text = String::new();
        file.take(MAX_KEY_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| fail(ErrorKind::Io(e)))?;
        if text.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(fail(ErrorKind::TooLarge {
                limit: MAX_KEY_FILE_BYTES,
            }));
        }
        // The reason never quotes the file: it holds a secret.
        let bad = |reason: &str| {
            fail(ErrorKind::BadKey {
                key: String::from("(secret, not shown)"),
                reason: reason.to_owned(),
            })
        };
        let encoded = text
            .trim_end()
            .strip_prefix(SECRET_PREFIX)
            .ok_or_else(|| bad("a secret key file holds one line `ed25519-secret:<base64>`"))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| bad("the key is not base64"))?;
        let seed = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| bad("an ed25519 secret key is 32 bytes"))?;
        Ok(SecretKey(SigningKey::from_bytes(&seed)))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_text_round_trips() {
        let key = SecretKey::from_seed([7; 32]).public();
        let text = key.to_string();
        assert!(text.starts_with("ed25519:"));
        assert_eq!(text.parse::<PublicKey>().unwrap(), key);
    }

    #[test]
    fn malformed_public_keys_are_refused() {
        for text in [
            "",
            "ed25519:",
            "rsa:AAAA",
            "ed25519:!!!!",
            "ed25519:AAAA",
            // The identity point: a weak key that verifies forged signatures.
            "ed25519:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(text.parse::<PublicKey>().is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn signatures_verify_only_over_the_signed_bytes() {
        let key = SecretKey::from_seed([1; 32]);
        let sig = key.sign(b"hello");
        assert!(key.public().verify(b"hello", &sig));
        assert!(!key.public().verify(b"hellp", &sig));
        assert!(
            !SecretKey::from_seed([2; 32])
                .public()
                .verify(b"hello", &sig)
        );
        assert!(!key.public().verify(b"hello", &sig[..63]));
    }

    #[test]
    fn key_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let key = SecretKey::from_seed([3; 32]);
        key.create_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = SecretKey::from_seed([4; 32])
            .create_file(&path)
            .unwrap_err();
        assert!(matches!(again.kind(), ErrorKind::KeyFileExists), "{again}");
        assert_eq!(SecretKey::read_file(&path).unwrap().public(), key.public());
    }

    #[cfg(unix)]
    #[test]
    fn key_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        SecretKey::from_seed([5; 32]).create_file(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = SecretKey::read_file(&path).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::KeyFilePermissions { .. }),
            "{err}"
        );
    }
}
