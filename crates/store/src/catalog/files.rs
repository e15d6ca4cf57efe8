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
        // One file is a read of several that stops after the first.
        let mut read = self.file_contents(owner, &[(hash, path)], 0)?;
        read.pop().ok_or_else(|| Error::Corrupt {
            artifact: owner.to_owned(),
            path: path.to_owned(),
            hash: hash.to_owned(),
        })
    }

    /// [`file_content`](Self::file_content) for several stored files of
    /// artifact `owner`, given as `(hash, path)` in order, read in **one
    /// transaction** (one statement each): from the first on, until
    /// `budget` bytes are read — at least one file, so at most `budget`
    /// bytes plus the last file's. Returns the contents read, in order,
    /// each checked against its hash; the caller asks again from the first
    /// one not returned.
    ///
    /// One transaction instead of one per file: on SQLite a read
    /// transaction costs its locking round (a few system calls) however
    /// small the file, which a deploy of 10,000 small files pays 10,000
    /// times otherwise. The pages read are not kept in the connection's
    /// page cache: contents are read once.
    ///
    /// # Errors
    ///
    /// As [`file_content`](Self::file_content), for the first file that
    /// fails (nothing is returned then).
    ///
    /// ```
    /// use stencil_store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};
    ///
    /// let catalog = Catalog::open_in_memory()?;
    /// let key = ArtifactKey::new("skill", "x")?;
    /// let artifact = NewArtifact::new(key.clone()).file("a.md", "a").file("b.md", "bb");
    /// catalog.put_artifact(&artifact)?;
    /// catalog.create_template(&TemplateSpec::new("t").entity(key, true))?;
    /// let outline = catalog.load_template_outline("t")?;
    /// let files: Vec<(&str, &str)> = outline.entities[0]
    ///     .files
    ///     .iter()
    ///     .map(|f| (f.hash.as_str(), f.path.as_str()))
    ///     .collect();
    /// assert_eq!(catalog.file_contents("skill:x", &files, 1 << 20)?, [b"a".to_vec(), b"bb".to_vec()]);
    /// // A budget of one byte still reads one file.
    /// assert_eq!(catalog.file_contents("skill:x", &files, 1)?, [b"a".to_vec()]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn file_contents(
        &self,
        owner: &str,
        files: &[(&str, &str)],
        budget: usize,
    ) -> Result<Vec<Vec<u8>>> {
        let corrupt = |&(hash, path): &(&str, &str)| Error::Corrupt {
            artifact: owner.to_owned(),
            path: path.to_owned(),
            hash: hash.to_owned(),
        };
        let read = self.read(|c| {
            let mut out = Vec::new();
            let mut total = 0usize;
            for file in files {
                if !out.is_empty() && total >= budget {
                    break;
                }
                // Parsed as reached: the files past the budget are not read.
                let want = blake3::Hash::from_hex(file.0).map_err(|_| corrupt(file))?;
                let key = &want.as_bytes()[..];
                let content = c.query_opt(
                    &self.q.templates.blob_content,
                    args![key],
                    "reading a file's content",
                    |r| r.get::<Vec<u8>>(0),
                )?;
                match content {
                    Some(bytes) if blake3::hash(&bytes) == want => {
                        total = total.saturating_add(bytes.len());
                        out.push(bytes);
                    }
                    _ => return Err(corrupt(file)),
                }
            }
            Ok(out)
        });
        // Contents are read once: their pages are not kept.
        self.release_pages();
        read
    }
}
