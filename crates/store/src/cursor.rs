//! Opaque keyset cursors.
//!
//! A cursor holds the sort key and row ID of the last row of a page, hex
//! encoded so callers treat it as a token rather than editing it. The next
//! page starts strictly after that position, in SQL: page 1,000 costs what
//! page 1 costs, and rows inserted meanwhile never shift a page.

use crate::error::{Error, Result};
use crate::model::ArtifactSort;
use crate::queries::After;

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

fn bad(cursor: &str, reason: &str) -> Error {
    Error::invalid("cursor", cursor, reason.to_owned())
}

/// Encodes the position after an artifact row.
pub(crate) fn encode_artifact(after: &After) -> String {
    let text = match after {
        After::Name { name, id } => format!("n\n{id}\n{name}"),
        After::Updated { updated_at, id } => format!("u\n{id}\n{updated_at}"),
    };
    hex(text.as_bytes())
}

/// Decodes an artifact cursor made for `sort`.
pub(crate) fn decode_artifact(cursor: &str, sort: ArtifactSort) -> Result<After> {
    let invalid = || bad(cursor, "it is not a cursor returned by an artifact listing");
    let text = unhex(cursor)
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let mut parts = text.splitn(3, '\n');
    let (Some(tag), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let id: i64 = id.parse().map_err(|_| invalid())?;
    match (tag, sort) {
        ("n", ArtifactSort::Name) => Ok(After::Name {
            name: key.to_owned(),
            id,
        }),
        ("u", ArtifactSort::RecentlyUpdated) => Ok(After::Updated {
            updated_at: key.parse().map_err(|_| invalid())?,
            id,
        }),
        ("n" | "u", _) => Err(bad(
            cursor,
            "it was made for a listing in another sort order; restart from the first page",
        )),
        _ => Err(invalid()),
    }
}

/// Encodes the position after a collection name.
pub(crate) fn encode_collection(name: &str) -> String {
    hex(format!("c\n{name}").as_bytes())
}

/// Decodes a collection cursor.
pub(crate) fn decode_collection(cursor: &str) -> Result<String> {
    unhex(cursor)
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.strip_prefix("c\n").map(str::to_owned))
        .ok_or_else(|| {
            bad(
                cursor,
                "it is not a cursor returned by a collection listing",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage_and_wrong_sort() {
        let after = After::Name {
            name: "a\nb:ü".into(),
            id: 42,
        };
        let c = encode_artifact(&after);
        assert_eq!(decode_artifact(&c, ArtifactSort::Name).unwrap(), after);
        assert!(decode_artifact(&c, ArtifactSort::RecentlyUpdated).is_err());
        let after = After::Updated {
            updated_at: -5,
            id: 1,
        };
        let c = encode_artifact(&after);
        assert_eq!(
            decode_artifact(&c, ArtifactSort::RecentlyUpdated).unwrap(),
            after
        );
        for garbage in ["", "zz", "6e", "abc", &hex(b"n\nx\ny"), &hex(b"q\n1\ny")] {
            assert!(
                decode_artifact(garbage, ArtifactSort::Name).is_err(),
                "{garbage}"
            );
        }
        assert_eq!(decode_collection(&encode_collection("x y")).unwrap(), "x y");
        assert!(decode_collection(&c).is_err());
    }
}
