//! [`Catalog::import`] on PostgreSQL: artifacts written a batch at a time,
//! one statement per table per batch (`INSERT … SELECT … FROM unnest(…)`
//! with one array parameter per column) instead of about eight statements
//! per artifact.
//!
//! Why: on a server every statement is a network round trip, and the
//! per-artifact path (`artifacts.rs`, kept for SQLite, where a statement
//! costs microseconds) spent its time waiting for them: 2,400 artifacts/s
//! at ~8 round trips each. Arrays rather than `COPY`: `COPY` cannot say
//! `ON CONFLICT DO NOTHING` (blobs are shared, keys may exist) or return
//! the new ids, and the arrays are bound through the prepared-statement
//! path the catalogue already uses.
//!
//! The semantics are those of the per-artifact path: a new key is created
//! at version 1, an existing one is compared (digest, description, source,
//! tags) and updated or reported unchanged, a change of files appends the
//! next version (history, migration 0002), blobs are shared by hash. A key
//! that repeats within one import starts a new batch, so its second
//! occurrence sees the first, as it did one artifact at a time.
//!
//! Statements per batch ([`BATCH_ARTIFACTS`] artifacts at most): a batch
//! of new artifacts costs 6 — artifacts, blobs, files, versions, tags, tag
//! links; existing keys add one read, and when they changed one update and
//! up to two deletes (asserted by `tests/postgres.rs`).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use postgres::types::ToSql;

use super::artifacts::{Prepared, prepare};
use super::{Catalog, join_tags};
use crate::conn::Conn;
use crate::counters::Counters;
use crate::error::{Error, ObjectKind, Result};
use crate::model::{ArtifactKey, ImportReport, NewArtifact, PutOutcome};
use crate::pg::Session;

/// Artifacts per batch: large enough that round trips vanish in the
/// server's work (1,000 took ~8 statements' latency against ~40 ms of
/// inserts here), small enough that one batch's arrays stay a few MiB.
pub(crate) const BATCH_ARTIFACTS: usize = 1_000;

/// File bytes per batch before it is sent: the driver encodes a batch's
/// arrays in one message, so this bounds the copy an import holds at once
/// (one larger artifact still goes alone).
const BATCH_BYTES: usize = 4 << 20;

/// New artifacts; a key that exists inserts nothing and is read by
/// [`EXISTING`] instead.
const INSERT_ARTIFACTS: &str = "\
INSERT INTO artifacts (type, name, description, source, digest, tag_names, created_at, updated_at) \
SELECT u.t, u.n, u.d, u.s, u.g, u.tn, $7, $7 \
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[]) \
AS u(t, n, d, s, g, tn) \
ON CONFLICT (type, name) DO NOTHING \
RETURNING id, type, name";

/// The stored state of existing keys, with their tags sorted by name (the
/// links, not the `tag_names` copy, as `put_artifact` compares).
const EXISTING: &str = "\
SELECT a.id, a.type, a.name, a.digest, a.description, a.source, \
ARRAY(SELECT t.name FROM artifact_tags x JOIN tags t ON t.id = x.tag_id \
WHERE x.artifact_id = a.id ORDER BY t.name) \
FROM artifacts a JOIN unnest($1::text[], $2::text[]) AS u(t, n) ON a.type = u.t AND a.name = u.n";

const UPDATE_ARTIFACTS: &str = "\
UPDATE artifacts SET description = u.d, source = u.s, digest = u.g, tag_names = u.tn, \
updated_at = $6 \
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::text[]) AS u(id, d, s, g, tn) \
WHERE artifacts.id = u.id";

const DELETE_FILES: &str = "DELETE FROM artifact_files WHERE artifact_id = ANY($1::bigint[])";

const DELETE_TAG_LINKS: &str = "DELETE FROM artifact_tags WHERE artifact_id = ANY($1::bigint[])";

const INSERT_BLOBS: &str = "\
INSERT INTO blobs (hash, size, content) \
SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bytea[]) \
ON CONFLICT (hash) DO NOTHING";

const INSERT_FILES: &str = "\
INSERT INTO artifact_files (artifact_id, path, blob_hash, executable, verbatim) \
SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::boolean[], $5::boolean[])";

/// The next version of each artifact: 1 for a new one (bound, `u.v`; no
/// lookup), max + 1 after an update (every change of content is the next
/// version, issue 17). `COALESCE` runs the subquery only where `u.v` is
/// NULL.
const INSERT_VERSIONS: &str = "\
INSERT INTO artifact_versions (artifact_id, version, digest, created_at) \
SELECT u.id, COALESCE(u.v, COALESCE((SELECT max(v.version) FROM artifact_versions v \
WHERE v.artifact_id = u.id), 0) + 1), u.g, $4 \
FROM unnest($1::bigint[], $2::bytea[], $3::bigint[]) AS u(id, g, v)";

const INSERT_TAGS: &str = "\
INSERT INTO tags (name) SELECT DISTINCT n FROM unnest($1::text[]) AS u(n) \
ON CONFLICT (name) DO NOTHING";

/// Tag links by tag name; a separate statement from [`INSERT_TAGS`] so it
/// sees the tags that one (or a concurrent writer) created.
const INSERT_TAG_LINKS: &str = "\
INSERT INTO artifact_tags (artifact_id, tag_id) \
SELECT u.id, t.id FROM unnest($1::bigint[], $2::text[]) AS u(id, n) JOIN tags t ON t.name = u.n \
ON CONFLICT DO NOTHING";

/// A pooled session as the bulk path uses it: typed array parameters,
/// each statement counted like the seam's.
struct Pg<'a> {
    session: &'a RefCell<Session>,
    counters: &'a Counters,
}

impl Pg<'_> {
    fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        ctx: &'static str,
    ) -> Result<Vec<postgres::Row>> {
        self.counters.statement();
        self.session.borrow_mut().query_typed(sql, params, ctx)
    }

    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)], ctx: &'static str) -> Result<u64> {
        self.counters.statement();
        self.session.borrow_mut().execute_typed(sql, params, ctx)
    }
}

fn get<'r, T: postgres::types::FromSql<'r>>(
    row: &'r postgres::Row,
    i: usize,
    ctx: &'static str,
) -> Result<T> {
    row.try_get(i).map_err(|e| crate::pg::error(ctx, e))
}

/// What a stored artifact looked like before this import.
struct Stored {
    id: i64,
    digest: Vec<u8>,
    description: String,
    source: Option<String>,
    tags: Vec<String>,
}

/// One artifact of a batch, decided.
struct Planned {
    id: i64,
    outcome: PutOutcome,
    files_changed: bool,
    tags_changed: bool,
}

impl Catalog {
    /// The body of [`Catalog::import`] on PostgreSQL, inside its write
    /// transaction.
    pub(super) fn import_batched<I>(
        &self,
        session: &RefCell<Session>,
        counters: &Counters,
        artifacts: I,
        now: i64,
    ) -> Result<ImportReport>
    where
        I: IntoIterator<Item = NewArtifact>,
    {
        let pg = Pg { session, counters };
        let mut report = ImportReport::default();
        let mut tags_known = HashSet::new();
        let mut batch: Vec<NewArtifact> = Vec::new();
        let mut keys: HashSet<ArtifactKey> = HashSet::new();
        let mut bytes = 0usize;
        for a in artifacts {
            let size: usize = a.files.iter().map(|f| f.content.len()).sum();
            let full = batch.len() >= BATCH_ARTIFACTS
                || (!batch.is_empty() && bytes + size > BATCH_BYTES)
                || keys.contains(&a.key);
            if full {
                write_batch(&pg, &batch, now, &mut tags_known, &mut report)?;
                batch.clear();
                keys.clear();
                bytes = 0;
            }
            bytes += size;
            keys.insert(a.key.clone());
            batch.push(a);
        }
        if !batch.is_empty() {
            write_batch(&pg, &batch, now, &mut tags_known, &mut report)?;
        }
        Ok(report)
    }
}

/// Writes one batch (keys distinct) and adds its outcomes to `report` in
/// the batch's order.
fn write_batch(
    pg: &Pg<'_>,
    batch: &[NewArtifact],
    now: i64,
    tags_known: &mut HashSet<String>,
    report: &mut ImportReport,
) -> Result<()> {
    // Everything is validated before anything is sent.
    let prepared: Vec<Prepared<'_>> = batch.iter().map(prepare).collect::<Result<_>>()?;
    let digests: Vec<&[u8]> = prepared.iter().map(|p| &p.digest.as_bytes()[..]).collect();
    let tag_names: Vec<String> = prepared
        .iter()
        .map(|p| join_tags(p.tags.iter().copied()))
        .collect();

    let types: Vec<&str> = batch.iter().map(|a| a.key.kind()).collect();
    let names: Vec<&str> = batch.iter().map(|a| a.key.name()).collect();
    let descriptions: Vec<&str> = batch.iter().map(|a| a.description.as_str()).collect();
    let sources: Vec<Option<&str>> = batch.iter().map(|a| a.source.as_deref()).collect();
    let ctx = "inserting artifacts";
    let rows = pg.query(
        INSERT_ARTIFACTS,
        &[
            &types,
            &names,
            &descriptions,
            &sources,
            &digests,
            &tag_names,
            &now,
        ],
        ctx,
    )?;
    let mut created: HashMap<(String, String), i64> = HashMap::with_capacity(rows.len());
    for r in &rows {
        created.insert((get(r, 1, ctx)?, get(r, 2, ctx)?), get(r, 0, ctx)?);
    }

    let mut stored: HashMap<(String, String), Stored> = HashMap::new();
    if created.len() < batch.len() {
        let (types, names): (Vec<&str>, Vec<&str>) = batch
            .iter()
            .filter(|a| !created.contains_key(&key_of(&a.key)))
            .map(|a| (a.key.kind(), a.key.name()))
            .unzip();
        let ctx = "reading the stored artifacts";
        for r in pg.query(EXISTING, &[&types, &names], ctx)? {
            stored.insert(
                (get(&r, 1, ctx)?, get(&r, 2, ctx)?),
                Stored {
                    id: get(&r, 0, ctx)?,
                    digest: get(&r, 3, ctx)?,
                    description: get(&r, 4, ctx)?,
                    source: get(&r, 5, ctx)?,
                    tags: get(&r, 6, ctx)?,
                },
            );
        }
    }

    let mut plans = Vec::with_capacity(batch.len());
    for ((a, p), digest) in batch.iter().zip(&prepared).zip(&digests) {
        let k = key_of(&a.key);
        let plan = if let Some(&id) = created.get(&k) {
            Planned {
                id,
                outcome: PutOutcome::Created,
                files_changed: true,
                tags_changed: !p.tags.is_empty(),
            }
        } else {
            let old = stored
                .get(&k)
                .ok_or_else(|| Error::not_found(ObjectKind::Artifact, a.key.to_string()))?;
            let files_changed = old.digest.as_slice() != *digest;
            let tags_changed = !old
                .tags
                .iter()
                .map(String::as_str)
                .eq(p.tags.iter().copied());
            let unchanged = !files_changed
                && !tags_changed
                && old.description == a.description
                && old.source == a.source;
            Planned {
                id: old.id,
                outcome: if unchanged {
                    PutOutcome::Unchanged
                } else {
                    PutOutcome::Updated
                },
                files_changed,
                tags_changed,
            }
        };
        plans.push(plan);
    }

    update_changed(pg, batch, &plans, &digests, &tag_names, now)?;
    insert_contents(pg, &prepared, &plans, &digests, now)?;
    insert_tag_links(pg, &prepared, &plans, tags_known)?;

    for (a, plan) in batch.iter().zip(&plans) {
        let list = match plan.outcome {
            PutOutcome::Created => &mut report.created,
            PutOutcome::Updated => &mut report.updated,
            PutOutcome::Unchanged => &mut report.unchanged,
        };
        list.push(a.key.clone());
    }
    Ok(())
}

fn key_of(k: &ArtifactKey) -> (String, String) {
    (k.kind().to_owned(), k.name().to_owned())
}

/// Rewrites the head of every updated artifact and clears the files and tag
/// links that are replaced.
fn update_changed(
    pg: &Pg<'_>,
    batch: &[NewArtifact],
    plans: &[Planned],
    digests: &[&[u8]],
    tag_names: &[String],
    now: i64,
) -> Result<()> {
    let updated: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].outcome == PutOutcome::Updated)
        .collect();
    if updated.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = updated.iter().map(|&i| plans[i].id).collect();
    let descriptions: Vec<&str> = updated
        .iter()
        .map(|&i| batch[i].description.as_str())
        .collect();
    let sources: Vec<Option<&str>> = updated
        .iter()
        .map(|&i| batch[i].source.as_deref())
        .collect();
    let new_digests: Vec<&[u8]> = updated.iter().map(|&i| digests[i]).collect();
    let new_tags: Vec<&str> = updated.iter().map(|&i| tag_names[i].as_str()).collect();
    pg.execute(
        UPDATE_ARTIFACTS,
        &[&ids, &descriptions, &sources, &new_digests, &new_tags, &now],
        "updating artifacts",
    )?;
    let with = |f: fn(&Planned) -> bool| -> Vec<i64> {
        updated
            .iter()
            .map(|&i| &plans[i])
            .filter(|p| f(p))
            .map(|p| p.id)
            .collect()
    };
    let files = with(|p| p.files_changed);
    if !files.is_empty() {
        pg.execute(DELETE_FILES, &[&files], "replacing artifacts' files")?;
    }
    let tags = with(|p| p.tags_changed);
    if !tags.is_empty() {
        pg.execute(DELETE_TAG_LINKS, &[&tags], "replacing artifacts' tags")?;
    }
    Ok(())
}

/// Blobs (each distinct hash once), files and the next version of every
/// artifact whose files are new or changed.
fn insert_contents(
    pg: &Pg<'_>,
    prepared: &[Prepared<'_>],
    plans: &[Planned],
    digests: &[&[u8]],
    now: i64,
) -> Result<()> {
    let changed: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].files_changed && plans[i].outcome != PutOutcome::Unchanged)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let mut seen = HashSet::new();
    let (mut hashes, mut sizes, mut contents) = (Vec::new(), Vec::new(), Vec::new());
    let (mut file_ids, mut paths, mut blob_hashes, mut executable, mut verbatim) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let conn = Conn::Postgres {
        session: pg.session,
        counters: pg.counters,
    };
    for &i in &changed {
        for (f, hash) in &prepared[i].files {
            let hash = &hash.as_bytes()[..];
            if let Some(s) = &f.sourced {
                // Read and sent alone, one file at a time, not in the arrays.
                if seen.insert(hash) {
                    super::sourced::store_blob(&conn, prepared[i].key, f, s)?;
                }
            } else if seen.insert(hash) {
                hashes.push(hash);
                sizes.push(f.content.len() as i64);
                contents.push(&f.content[..]);
            }
            file_ids.push(plans[i].id);
            paths.push(f.path.as_str());
            blob_hashes.push(hash);
            executable.push(f.executable);
            verbatim.push(f.verbatim);
        }
    }
    pg.execute(INSERT_BLOBS, &[&hashes, &sizes, &contents], "storing blobs")?;
    pg.execute(
        INSERT_FILES,
        &[&file_ids, &paths, &blob_hashes, &executable, &verbatim],
        "storing artifact files",
    )?;
    let ids: Vec<i64> = changed.iter().map(|&i| plans[i].id).collect();
    let version_digests: Vec<&[u8]> = changed.iter().map(|&i| digests[i]).collect();
    let known: Vec<Option<i64>> = changed
        .iter()
        .map(|&i| (plans[i].outcome == PutOutcome::Created).then_some(1))
        .collect();
    pg.execute(
        INSERT_VERSIONS,
        &[&ids, &version_digests, &known, &now],
        "recording artifact versions",
    )?;
    Ok(())
}

/// Creates the tags this import has not seen yet and links every artifact
/// whose tags are new or changed.
fn insert_tag_links(
    pg: &Pg<'_>,
    prepared: &[Prepared<'_>],
    plans: &[Planned],
    tags_known: &mut HashSet<String>,
) -> Result<()> {
    let (mut ids, mut names) = (Vec::new(), Vec::new());
    let mut unseen: BTreeSet<&str> = BTreeSet::new();
    for (p, plan) in prepared.iter().zip(plans) {
        if !plan.tags_changed || plan.outcome == PutOutcome::Unchanged {
            continue;
        }
        for &t in &p.tags {
            ids.push(plan.id);
            names.push(t);
            if !tags_known.contains(t) {
                unseen.insert(t);
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    if !unseen.is_empty() {
        let new: Vec<&str> = unseen.iter().copied().collect();
        pg.execute(INSERT_TAGS, &[&new], "creating tags")?;
        tags_known.extend(new.iter().map(|t| (*t).to_owned()));
    }
    let linked = pg.execute(INSERT_TAG_LINKS, &[&ids, &names], "tagging artifacts")?;
    // Every link is new (new artifacts, or links cleared above); one
    // missing means a tag vanished between the two statements.
    if linked != ids.len() as u64 {
        let missing = names.first().copied().unwrap_or_default();
        return Err(Error::not_found(ObjectKind::Tag, missing));
    }
    Ok(())
}
