//! Storing artifacts (put, import), reading them back with their versions,
//! deleting them, and tagging.

use std::collections::{BTreeSet, HashMap};

use super::files::{hex32, read_file_row, read_outline_row};
use super::sourced;
use super::{Catalog, join_tags, now_ms};
use crate::conn::Conn;
use crate::error::{Error, ObjectKind, Result};
use crate::model::{
    Artifact, ArtifactKey, ArtifactVersion, ImportReport, NewArtifact, NewFile, PutOutcome,
    validate_file_path, validate_name,
};
use crate::param::args;
use crate::queries::FULL_FILES;

/// An artifact's files hashed and checked, ready to store.
pub(super) struct Prepared<'a> {
    pub(super) key: &'a ArtifactKey,
    pub(super) files: Vec<(&'a NewFile, blake3::Hash)>,
    pub(super) digest: blake3::Hash,
    pub(super) tags: BTreeSet<&'a str>,
}

pub(super) fn prepare(a: &NewArtifact) -> Result<Prepared<'_>> {
    if a.files.is_empty() {
        return Err(Error::invalid(
            "artifact",
            &a.key.to_string(),
            "it has no files; an artifact needs at least one",
        ));
    }
    let mut files: Vec<_> = a
        .files
        .iter()
        .map(|f| match &f.sourced {
            Some(s) => (f, blake3::Hash::from_bytes(s.hash)),
            None => (f, blake3::hash(&f.content)),
        })
        .collect();
    files.sort_by(|x, y| x.0.path.cmp(&y.0.path));
    let mut digest = blake3::Hasher::new();
    for (i, (f, hash)) in files.iter().enumerate() {
        validate_file_path(&f.path)?;
        if i > 0 && files[i - 1].0.path == f.path {
            return Err(Error::invalid(
                "file path",
                &f.path,
                format!("artifact `{}` lists it twice", a.key),
            ));
        }
        // Length-prefixed so no two file lists hash alike by concatenation.
        digest.update(&(f.path.len() as u64).to_le_bytes());
        digest.update(f.path.as_bytes());
        digest.update(&[u8::from(f.executable) | u8::from(f.verbatim) << 1]);
        digest.update(hash.as_bytes());
    }
    let mut tags = BTreeSet::new();
    for t in &a.tags {
        validate_name("tag", t)?;
        tags.insert(t.as_str());
    }
    if let Some(source) = a.source.as_deref().filter(|s| s.contains('\0')) {
        return Err(Error::invalid("source", source, "it contains a NUL byte"));
    }
    Ok(Prepared {
        key: &a.key,
        files,
        digest: digest.finalize(),
        tags,
    })
}

impl Catalog {
    /// Creates or updates an artifact with its files and tags.
    ///
    /// A new version row is recorded whenever the files change (their
    /// digest), and `updated_ms` moves only when something changed.
    pub fn put_artifact(&self, artifact: &NewArtifact) -> Result<PutOutcome> {
        let prepared = prepare(artifact)?;
        self.write(|c| self.put_in(c, artifact, &prepared, now_ms(), &mut HashMap::new()))
    }

    /// Creates or updates many artifacts in one transaction: all or nothing.
    ///
    /// Validation errors name the offending artifact; nothing is stored then.
    pub fn import<I>(&self, artifacts: I) -> Result<ImportReport>
    where
        I: IntoIterator<Item = NewArtifact>,
    {
        let now = now_ms();
        self.write(|c| {
            // A server pays a round trip per statement: batches there.
            #[cfg(feature = "postgres")]
            if let Conn::Postgres { session, counters } = c {
                return self.import_batched(session, counters, artifacts, now);
            }
            let mut report = ImportReport::default();
            let mut tags = HashMap::new();
            for a in artifacts {
                let prepared = prepare(&a)?;
                let list = match self.put_in(c, &a, &prepared, now, &mut tags)? {
                    PutOutcome::Created => &mut report.created,
                    PutOutcome::Updated => &mut report.updated,
                    PutOutcome::Unchanged => &mut report.unchanged,
                };
                list.push(a.key);
            }
            Ok(report)
        })
    }

    pub(super) fn put_in(
        &self,
        c: &Conn<'_>,
        a: &NewArtifact,
        p: &Prepared<'_>,
        now: i64,
        tag_ids: &mut HashMap<String, i64>,
    ) -> Result<PutOutcome> {
        let q = &self.q;
        let digest = &p.digest.as_bytes()[..];
        let tag_names = join_tags(p.tags.iter().copied());
        // Nothing inserted means the key exists (ON CONFLICT DO NOTHING).
        let inserted = c.insert_id(
            &q.artifacts.insert,
            args![
                a.key.kind(),
                a.key.name(),
                &a.description,
                &a.source,
                digest,
                &tag_names,
                now,
                now
            ],
            "inserting an artifact",
        )?;

        let (id, outcome, files_changed, tags_changed) = match inserted {
            Some(id) => (id, PutOutcome::Created, true, !p.tags.is_empty()),
            None => {
                let ctx = "reading the stored artifact";
                let (id, old_digest, old_description, old_source): (
                    i64,
                    Vec<u8>,
                    String,
                    Option<String>,
                ) = c
                    .query_opt(
                        &q.artifacts.head,
                        args![a.key.kind(), a.key.name()],
                        ctx,
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )?
                    .ok_or_else(|| Error::not_found(ObjectKind::Artifact, a.key.to_string()))?;
                let old_tags: BTreeSet<String> = c
                    .query_vec(
                        &q.artifacts.tags_of,
                        args![id],
                        "reading an artifact's tags",
                        |r| r.get(0),
                    )?
                    .into_iter()
                    .collect();
                let files_changed = old_digest != digest;
                let tags_changed = !old_tags
                    .iter()
                    .map(String::as_str)
                    .eq(p.tags.iter().copied());
                if !files_changed
                    && !tags_changed
                    && old_description == a.description
                    && old_source == a.source
                {
                    return Ok(PutOutcome::Unchanged);
                }
                c.execute(
                    &q.artifacts.update,
                    args![&a.description, &a.source, digest, &tag_names, now, id],
                    "updating an artifact",
                )?;
                (id, PutOutcome::Updated, files_changed, tags_changed)
            }
        };

        if files_changed {
            if outcome == PutOutcome::Updated {
                c.execute(
                    &q.artifacts.files_delete,
                    args![id],
                    "replacing an artifact's files",
                )?;
            }
            for (f, hash) in &p.files {
                let hash = &hash.as_bytes()[..];
                match &f.sourced {
                    Some(s) => sourced::store_blob(c, p.key, f, s)?,
                    None => {
                        c.execute(
                            &q.artifacts.blob_insert,
                            args![hash, f.content.len() as i64, &f.content],
                            "storing a blob",
                        )?;
                    }
                }
                c.execute(
                    &q.artifacts.file_insert,
                    args![id, &f.path, hash, f.executable, f.verbatim],
                    "storing an artifact file",
                )?;
            }
            self.record_version(c, id, digest, now, outcome == PutOutcome::Created)?;
        }

        if tags_changed {
            if outcome == PutOutcome::Updated {
                c.execute(
                    &q.artifacts.untag_all,
                    args![id],
                    "replacing an artifact's tags",
                )?;
            }
            for t in &p.tags {
                let tag = self.tag_id(c, t, tag_ids)?;
                c.execute(&q.artifacts.tag, args![id, tag], "tagging an artifact")?;
            }
        }
        Ok(outcome)
    }

    fn record_version(
        &self,
        c: &Conn<'_>,
        id: i64,
        digest: &[u8],
        now: i64,
        new: bool,
    ) -> Result<()> {
        let q = &self.q;
        // Every change of content is the next version, also a return to
        // earlier bytes: versions are a history (the blobs are shared).
        let version = if new {
            1
        } else {
            c.query_opt(
                &q.artifacts.version_max,
                args![id],
                "numbering an artifact version",
                |r| r.get::<i64>(0),
            )?
            .unwrap_or(0)
                + 1
        };
        c.execute(
            &q.artifacts.version_insert,
            args![id, version, digest, now],
            "recording an artifact version",
        )?;
        Ok(())
    }

    /// Deletes an artifact with its files, tags and memberships (collection
    /// and group counts follow through the triggers).
    ///
    /// Refused with [`Error::InUse`] while a template lists it.
    pub fn delete_artifact(&self, key: &ArtifactKey) -> Result<()> {
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            let templates: Vec<String> = c.query_vec(
                &self.q.artifacts.templates_using,
                args![id],
                "checking templates that use an artifact",
                |r| r.get(0),
            )?;
            if !templates.is_empty() {
                return Err(Error::InUse {
                    artifact: key.to_string(),
                    templates,
                });
            }
            c.execute(&self.q.artifacts.delete, args![id], "deleting an artifact")?;
            Ok(())
        })
    }

    /// An artifact with its files (contents verified against their hashes)
    /// and tags. Two statements.
    pub fn artifact(&self, key: &ArtifactKey) -> Result<Artifact> {
        self.artifact_with(key, false)
    }

    /// [`artifact`](Self::artifact) without any file's content: each
    /// [`ArtifactFile`](crate::ArtifactFile) holds its path, flags and hash,
    /// and an empty `content` (read it with
    /// [`file_content`](Self::file_content) when needed). What an import
    /// reads of an artifact it replaces, so that its memory does not grow
    /// with the stored files. Two statements.
    pub fn artifact_outline(&self, key: &ArtifactKey) -> Result<Artifact> {
        self.artifact_with(key, true)
    }

    fn artifact_with(&self, key: &ArtifactKey, outline: bool) -> Result<Artifact> {
        let sql = if outline {
            &self.q.artifacts.full_outline
        } else {
            &self.q.artifacts.full
        };
        self.read(|c| {
            let mut out: Option<(i64, Artifact)> = None;
            let mut failure: Option<Error> = None;
            c.query(
                sql,
                args![key.kind(), key.name()],
                "reading an artifact",
                |r| {
                    if out.is_none() {
                        let digest: Vec<u8> = r.get(5)?;
                        let version: Option<i64> = r.get(6)?;
                        let a = Artifact {
                            key: key.clone(),
                            description: r.get(1)?,
                            source: r.get(2)?,
                            created_ms: r.get(3)?,
                            updated_ms: r.get(4)?,
                            digest: hex32(&digest),
                            version: version.and_then(|v| u32::try_from(v).ok()).unwrap_or(0),
                            files: Vec::new(),
                            tags: Vec::new(),
                        };
                        out = Some((r.get(0)?, a));
                    }
                    match out.as_mut() {
                        Some((_, artifact)) if outline => {
                            read_outline_row(r, FULL_FILES, &mut artifact.files)
                        }
                        Some((_, artifact)) => read_file_row(
                            r,
                            FULL_FILES,
                            || key.to_string(),
                            &mut artifact.files,
                            &mut failure,
                        ),
                        None => Ok(true),
                    }
                },
            )?;
            if let Some(e) = failure {
                return Err(e);
            }
            let Some((id, mut artifact)) = out else {
                return Err(Error::not_found(ObjectKind::Artifact, key.to_string()));
            };
            artifact.tags = c.query_vec(
                &self.q.artifacts.tags_of,
                args![id],
                "reading an artifact's tags",
                |r| r.get(0),
            )?;
            Ok(artifact)
        })
    }

    /// The content versions of an artifact, oldest first. One statement.
    pub fn versions(&self, key: &ArtifactKey) -> Result<Vec<ArtifactVersion>> {
        let versions: Vec<ArtifactVersion> = self.with_conn(|c| {
            c.query_vec(
                &self.q.artifacts.versions,
                args![key.kind(), key.name()],
                "reading artifact versions",
                |r| {
                    let digest: Vec<u8> = r.get(1)?;
                    Ok(ArtifactVersion {
                        version: u32::try_from(r.get::<i64>(0)?).unwrap_or(0),
                        digest: hex32(&digest),
                        created_ms: r.get(2)?,
                    })
                },
            )
        })?;
        if versions.is_empty() {
            return Err(Error::not_found(ObjectKind::Artifact, key.to_string()));
        }
        Ok(versions)
    }

    /// Adds tags to an artifact (existing ones are kept).
    pub fn add_tags(&self, key: &ArtifactKey, tags: &[&str]) -> Result<()> {
        for t in tags {
            validate_name("tag", t)?;
        }
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            let mut known = HashMap::new();
            for t in tags {
                let tag = self.tag_id(c, t, &mut known)?;
                c.execute(&self.q.artifacts.tag, args![id, tag], "tagging an artifact")?;
            }
            self.refresh_tag_names(c, id)
        })
    }

    /// Removes tags from an artifact; tags it does not carry are ignored.
    pub fn remove_tags(&self, key: &ArtifactKey, tags: &[&str]) -> Result<()> {
        self.write(|c| {
            let id = self.require_artifact(c, key)?;
            for t in tags {
                let tag: Option<i64> = c.query_opt(
                    &self.q.artifacts.tag_find,
                    args![*t],
                    "looking up a tag",
                    |r| r.get(0),
                )?;
                if let Some(tag) = tag {
                    c.execute(
                        &self.q.artifacts.untag,
                        args![id, tag],
                        "untagging an artifact",
                    )?;
                }
            }
            self.refresh_tag_names(c, id)
        })
    }

    /// Rewrites an artifact's `tag_names` copy from its tag links.
    fn refresh_tag_names(&self, c: &Conn<'_>, id: i64) -> Result<()> {
        let names: Vec<String> = c.query_vec(
            &self.q.artifacts.tags_of,
            args![id],
            "reading an artifact's tags",
            |r| r.get(0),
        )?;
        let joined = join_tags(names.iter().map(String::as_str));
        c.execute(
            &self.q.artifacts.set_tag_names,
            args![&joined, id],
            "recording an artifact's tags",
        )?;
        Ok(())
    }
}
