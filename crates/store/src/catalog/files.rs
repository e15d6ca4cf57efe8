//! Stored files as rows: decoding the file columns shared by
//! `Catalog::artifact` and `Catalog::load_template`, reading one file's
//! content by its hash, and checking each blob against its hash on the way
//! out.

use super::Catalog;
use crate::conn::Row;
use crate::error::{Error, Result};
use crate::model::ArtifactFile;
use crate::param::args;
use crate::queries::FileColumns;

pub(super) fn hex32(bytes: &[u8]) -> String {
    <[u8; 32]>::try_from(bytes).map_or_else(
        |_| String::from("(malformed hash)"),
        |b| blake3::Hash::from_bytes(b).to_hex().to_string(),
    )
}

/// Checks a blob read from the database against its hash.
fn verified(
    artifact: impl Fn() -> String,
    path: &str,
    hash: Option<Vec<u8>>,
    content: Option<Vec<u8>>,
    executable: bool,
    verbatim: bool,
) -> Result<ArtifactFile> {
    let corrupt = |hash: &[u8]| Error::Corrupt {
        artifact: artifact(),
        path: path.to_owned(),
        hash: hex32(hash),
    };
    let (Some(hash), Some(content)) = (hash, content) else {
        return Err(corrupt(&[]));
    };
    if blake3::hash(&content).as_bytes()[..] != hash[..] {
        return Err(corrupt(&hash));
    }
    Ok(ArtifactFile {
        path: path.to_owned(),
        content,
        hash: hex32(&hash),
        executable,
        verbatim,
    })
}

/// Reads the file columns of a row that start at `first` ([`FileColumns`])
/// into `files`, the content checked against its hash; nothing for the NULL
/// columns of an artifact without files. A corrupt file is left in
/// `failure` and stops the rows (`false`), so the error names the file.
pub(super) fn read_file_row(
    r: &Row<'_>,
    first: usize,
    owner: impl Fn() -> String,
    files: &mut Vec<ArtifactFile>,
    failure: &mut Option<Error>,
) -> Result<bool> {
    let Some(path) = r.get::<Option<String>>(first + FileColumns::PATH)? else {
        return Ok(true);
    };
    match verified(
        owner,
        &path,
        r.get(first + FileColumns::HASH)?,
        r.get(first + FileColumns::CONTENT)?,
        r.get(first + FileColumns::EXECUTABLE)?,
        r.get(first + FileColumns::VERBATIM)?,
    ) {
        Ok(file) => {
            files.push(file);
            Ok(true)
        }
        Err(e) => {
            *failure = Some(e);
            Ok(false)
        }
    }
}

/// Reads the file columns of an outline row (the blob's size where the
/// content would be) into `files`, with an empty `content`.
pub(super) fn read_outline_row(
    r: &Row<'_>,
    first: usize,
    files: &mut Vec<ArtifactFile>,
) -> Result<bool> {
    let Some(path) = r.get::<Option<String>>(first + FileColumns::PATH)? else {
        return Ok(true);
    };
    let hash: Option<Vec<u8>> = r.get(first + FileColumns::HASH)?;
    files.push(ArtifactFile {
        path,
        content: Vec::new(),
        hash: hex32(hash.as_deref().unwrap_or_default()),
        executable: r.get(first + FileColumns::EXECUTABLE)?,
        verbatim: r.get(first + FileColumns::VERBATIM)?,
    });
    Ok(true)
}

impl Catalog {
    /// The content of the stored file whose hash is `hash` (the hex
    /// [`ArtifactFile::hash`](crate::ArtifactFile) of an outline from
    /// [`load_template_outline`](Self::load_template_outline)), checked
    /// against it. **1 statement**; holds that one file.
    ///
    /// # Errors
    ///
    /// [`Error::Corrupt`] when no blob has that hash or its bytes do not
    /// match it (`artifact` names the file as `owner`, for the message).
    ///
    /// ```
    /// use stencil_store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};
    ///
    /// let catalog = Catalog::open_in_memory()?;
    /// let key = ArtifactKey::new("skill", "x")?;
    /// catalog.put_artifact(&NewArtifact::new(key.clone()).file("SKILL.md", "hi"))?;
    /// catalog.create_template(&TemplateSpec::new("t").entity(key, true))?;
    /// let outline = catalog.load_template_outline("t")?;
    /// let file = &outline.entities[0].files[0];
    /// assert!(file.content.is_empty());
    /// assert_eq!(catalog.file_content(&file.hash, "skill:x", &file.path)?, b"hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file_content(&self, hash: &str, owner: &str, path: &str) -> Result<Vec<u8>> {
        let corrupt = || Error::Corrupt {
            artifact: owner.to_owned(),
            path: path.to_owned(),
            hash: hash.to_owned(),
        };
        let Ok(want) = blake3::Hash::from_hex(hash) else {
            return Err(corrupt());
        };
        let key = &want.as_bytes()[..];
        let content = self.read(|c| {
            c.query_opt(
                &self.q.templates.blob_content,
                args![key],
                "reading a file's content",
                |r| r.get::<Vec<u8>>(0),
            )
        })?;
        match content {
            Some(bytes) if blake3::hash(&bytes) == want => Ok(bytes),
            _ => Err(corrupt()),
        }
    }
}
