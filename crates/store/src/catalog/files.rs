//! Stored files as rows: decoding the file columns shared by
//! `Catalog::artifact` and `Catalog::load_template`, and checking each
//! blob against its hash on the way out.

use crate::conn::Row;
use crate::error::{Error, Result};
use crate::model::ArtifactFile;
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
