//! Signed metadata envelopes and the threshold rule.
//!
//! A metadata file is `{"signed": "<payload>", "signatures": [...]}` where
//! the payload is a JSON document carried *as a string*. Signatures are over
//! the exact payload bytes, framed with the role, so no canonical-JSON
//! algorithm is needed to produce or check them: a second implementation
//! takes the string, frames it and verifies. The frame
//! (`stencil-registry/1 <role>\n` before the payload) means a signature made
//! for one role can never be replayed as another's.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;
use crate::keys::{PublicKey, SecretKey};

/// The two kinds of signed metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Root,
    Snapshot,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Root => "root",
            Role::Snapshot => "snapshot",
        }
    }
}

/// The bytes a signature covers.
pub(crate) fn signed_message(role: Role, payload: &str) -> Vec<u8> {
    let mut message = format!("stencil-registry/1 {}\n", role.as_str()).into_bytes();
    message.extend_from_slice(payload.as_bytes());
    message
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    signed: String,
    signatures: Vec<SignatureEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureEntry {
    key: String,
    sig: String,
}

/// A parsed envelope; its signatures are not yet checked.
pub(crate) struct Opened {
    pub(crate) payload: String,
    signatures: Vec<(String, Vec<u8>)>,
}

/// Wraps `payload` in an envelope signed by every key of `signers`.
pub(crate) fn seal(role: Role, payload: &str, signers: &[&SecretKey]) -> Vec<u8> {
    let message = signed_message(role, payload);
    let envelope = Envelope {
        signed: payload.to_owned(),
        signatures: signers
            .iter()
            .map(|key| SignatureEntry {
                key: key.public().to_string(),
                sig: BASE64.encode(key.sign(&message)),
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Parses an envelope (no signature checks yet).
pub(crate) fn open(bytes: &[u8]) -> Result<Opened, ErrorKind> {
    let envelope: Envelope =
        serde_json::from_slice(bytes).map_err(|e| ErrorKind::Malformed(e.to_string()))?;
    let mut signatures = Vec::with_capacity(envelope.signatures.len());
    for entry in envelope.signatures {
        // A malformed signature is kept as empty bytes: it then fails
        // verification under its key's name, which is the clearer error.
        let sig = BASE64.decode(&entry.sig).unwrap_or_default();
        signatures.push((entry.key, sig));
    }
    Ok(Opened {
        payload: envelope.signed,
        signatures,
    })
}

/// A set of trusted keys and how many of them must sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeySet {
    /// Shown in errors: `root version 3`, `the pinned keys`.
    pub(crate) label: String,
    pub(crate) keys: Vec<PublicKey>,
    pub(crate) threshold: u32,
}

impl KeySet {
    /// Checks that the set is satisfiable and unambiguous.
    pub(crate) fn validate(keys: &[PublicKey], threshold: u32) -> Result<(), ErrorKind> {
        if keys.is_empty() {
            return Err(ErrorKind::BadKeySet(String::from("no keys")));
        }
        let distinct: BTreeSet<&[u8; 32]> = keys.iter().map(PublicKey::as_bytes).collect();
        if distinct.len() != keys.len() {
            return Err(ErrorKind::BadKeySet(String::from("a key is listed twice")));
        }
        if threshold == 0 || threshold as usize > keys.len() {
            return Err(ErrorKind::BadKeySet(format!(
                "threshold {threshold} with {} key(s); it must be 1 to the number of keys",
                keys.len()
            )));
        }
        Ok(())
    }
}

impl Opened {
    /// Checks the signatures against every set in `required`: each set's
    /// threshold must be met by distinct keys of that set whose signatures
    /// verify. Every signature by a key of one of the sets must verify; the
    /// error names the first that does not.
    ///
    /// A signature by a key of none of the sets is an error for snapshots.
    /// Roots carry, besides their own keys' signatures, those of the
    /// previous root's keys (rotation), which a client that pinned the
    /// newer root does not know; for roots such signatures are ignored and
    /// only the thresholds decide.
    ///
    /// Refusing a bad signature even when the threshold is met without it
    /// is deliberate: a signature that fails means tampering or a broken
    /// signer, and either deserves a stop, not a silent pass.
    pub(crate) fn verify(&self, role: Role, required: &[&KeySet]) -> Result<(), ErrorKind> {
        let message = signed_message(role, &self.payload);
        let mut verified: BTreeSet<[u8; 32]> = BTreeSet::new();
        for (key_text, sig) in &self.signatures {
            let known = required
                .iter()
                .flat_map(|set| set.keys.iter())
                .find(|k| k.to_string() == *key_text);
            let Some(key) = known else {
                if role == Role::Root {
                    continue;
                }
                return Err(ErrorKind::UnknownKey {
                    key: key_text.chars().take(80).collect(),
                });
            };
            if !key.verify(&message, sig) {
                return Err(ErrorKind::BadSignature {
                    key: key_text.clone(),
                });
            }
            verified.insert(*key.as_bytes());
        }
        for set in required {
            let valid = set
                .keys
                .iter()
                .filter(|k| verified.contains(k.as_bytes()))
                .count();
            if valid < set.threshold as usize {
                return Err(ErrorKind::BelowThreshold {
                    role: set.label.clone(),
                    valid,
                    threshold: set.threshold,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(keys: &[&SecretKey], threshold: u32) -> KeySet {
        KeySet {
            label: String::from("test keys"),
            keys: keys.iter().map(|k| k.public()).collect(),
            threshold,
        }
    }

    #[test]
    fn a_signature_for_one_role_does_not_verify_as_another() {
        let key = SecretKey::from_seed([9; 32]);
        let sealed = seal(Role::Root, "{}", &[&key]);
        let opened = open(&sealed).unwrap();
        opened.verify(Role::Root, &[&set(&[&key], 1)]).unwrap();
        let err = opened
            .verify(Role::Snapshot, &[&set(&[&key], 1)])
            .unwrap_err();
        assert!(matches!(err, ErrorKind::BadSignature { .. }), "{err}");
    }

    #[test]
    fn one_key_signing_twice_counts_once() {
        let a = SecretKey::from_seed([1; 32]);
        let b = SecretKey::from_seed([2; 32]);
        let sealed = seal(Role::Snapshot, "{}", &[&a, &a]);
        let err = open(&sealed)
            .unwrap()
            .verify(Role::Snapshot, &[&set(&[&a, &b], 2)])
            .unwrap_err();
        assert!(
            matches!(
                err,
                ErrorKind::BelowThreshold {
                    valid: 1,
                    threshold: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn key_sets_must_be_satisfiable() {
        let a = SecretKey::from_seed([1; 32]).public();
        assert!(KeySet::validate(&[], 1).is_err());
        assert!(KeySet::validate(&[a], 0).is_err());
        assert!(KeySet::validate(&[a], 2).is_err());
        assert!(KeySet::validate(&[a, a], 1).is_err());
        KeySet::validate(&[a], 1).unwrap();
    }
}
