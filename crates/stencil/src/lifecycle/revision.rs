//! Digests that identify a template revision and each artifact in it, so a
//! record says exactly what was deployed and `status` can tell when the
//! catalogue holds something newer.

use sha2::{Digest, Sha256};

use crate::store::{Template, TemplateEntity};

/// `sha256:<hex>` over everything of `template` that changes what a deploy
/// writes: its declared variables (name, required, default), and per entity
/// in deploy order its key, required flag and [`artifact_digest`]. The
/// description is left out: editing it changes no file.
pub fn template_revision(template: &Template) -> String {
    let mut h = Sha256::new();
    field(&mut h, b"stencil template revision v1");
    field(&mut h, template.name.as_bytes());
    for var in &template.variables {
        field(&mut h, var.name.as_bytes());
        field(&mut h, &[u8::from(var.required)]);
        match &var.default {
            Some(d) => {
                field(&mut h, b"=");
                field(&mut h, d.as_bytes());
            }
            None => field(&mut h, b"-"),
        }
    }
    for entity in &template.entities {
        field(&mut h, entity.artifact.to_string().as_bytes());
        field(&mut h, &[u8::from(entity.required)]);
        field(&mut h, artifact_digest(entity).as_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()))
}

/// `sha256:<hex>` over an entity's files: path, executable and verbatim
/// flags, and the catalogue's content hash.
pub fn artifact_digest(entity: &TemplateEntity) -> String {
    let mut h = Sha256::new();
    field(&mut h, b"stencil artifact digest v1");
    for file in &entity.files {
        field(&mut h, file.path.as_bytes());
        field(
            &mut h,
            &[u8::from(file.executable), u8::from(file.verbatim)],
        );
        field(&mut h, file.hash.as_bytes());
    }
    format!("sha256:{}", hex(&h.finalize()))
}

/// Length-prefixed, so that no two different field sequences hash alike.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// sha256 of `bytes` as lowercase hex: how records name file contents.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_the_empty_string_is_the_known_value() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
