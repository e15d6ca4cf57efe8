//! Maintenance: proving stored counters and copies agree with the rows
//! they summarise ([`Catalog::verify_counts`]) and repairing them
//! ([`Catalog::recount`]).

use super::{Catalog, join_tags, split_tags};
use crate::conn::Conn;
use crate::error::Result;
use crate::model::{CountMode, Drift};
use crate::param::args;

impl Catalog {
    /// Every stored counter or copy that disagrees with the rows it
    /// summarises: collection artifact and group counts, group artifact
    /// counts (each against a `GROUP BY`), and each artifact's `tag_names`
    /// copy. Empty when everything is consistent. Three statements; reads
    /// every tag link, so it is a maintenance operation, not a hot path. In
    /// [`CountMode::Query`] no counter is stored (reads count), so only the
    /// `tag_names` copies are checked: one statement.
    pub fn verify_counts(&self) -> Result<Vec<Drift>> {
        self.read(|c| {
            let mut drift = match self.count_mode {
                CountMode::Triggers => self.count_drift(c)?,
                CountMode::Query => Vec::new(),
            };
            drift.extend(self.tag_name_drift(c)?.into_iter().map(|(_, d, _)| d));
            Ok(drift)
        })
    }

    fn count_drift(&self, c: &Conn<'_>) -> Result<Vec<Drift>> {
        let ctx = "verifying counts";
        let mut drift = Vec::new();
        let mut push = |what: String, stored: i64, actual: i64| {
            if stored != actual {
                drift.push(Drift {
                    what,
                    stored: stored.to_string(),
                    actual: actual.to_string(),
                });
            }
        };
        c.query(&self.q.maintenance.verify_collections, &[], ctx, |r| {
            let name: String = r.get(0)?;
            push(
                format!("collection {name} artifact_count"),
                r.get(1)?,
                r.get(2)?,
            );
            push(
                format!("collection {name} group_count"),
                r.get(3)?,
                r.get(4)?,
            );
            Ok(true)
        })?;
        c.query(&self.q.maintenance.verify_groups, &[], ctx, |r| {
            let coll: String = r.get(0)?;
            let group: String = r.get(1)?;
            push(
                format!("group {coll}/{group} artifact_count"),
                r.get(2)?,
                r.get(3)?,
            );
            Ok(true)
        })?;
        Ok(drift)
    }

    /// Artifacts whose `tag_names` copy disagrees with their tag links:
    /// (artifact id, the drift, the correct copy).
    fn tag_name_drift(&self, c: &Conn<'_>) -> Result<Vec<(i64, Drift, String)>> {
        let ctx = "verifying tag names";
        let mut out = Vec::new();
        // Rows come grouped by artifact id: one row per tag link (or one
        // with a NULL tag for an untagged artifact).
        let mut current: Option<(i64, String, String, Vec<String>)> = None;
        let mut finish = |cur: Option<(i64, String, String, Vec<String>)>| {
            if let Some((id, key, stored, mut actual)) = cur {
                actual.sort_unstable();
                let actual = join_tags(actual.iter().map(String::as_str));
                if actual != stored {
                    let show = |s: &str| split_tags(s).join(", ");
                    let drift = Drift {
                        what: format!("artifact {key} tag_names"),
                        stored: show(&stored),
                        actual: show(&actual),
                    };
                    out.push((id, drift, actual));
                }
            }
        };
        c.query(&self.q.maintenance.verify_tag_names, &[], ctx, |r| {
            let id: i64 = r.get(0)?;
            if current.as_ref().is_none_or(|cur| cur.0 != id) {
                let kind: String = r.get(1)?;
                let name: String = r.get(2)?;
                let next = (id, format!("{kind}:{name}"), r.get(3)?, Vec::new());
                finish(current.replace(next));
            }
            let tag: Option<String> = r.get(4)?;
            if let (Some(tag), Some(cur)) = (tag, current.as_mut()) {
                cur.3.push(tag);
            }
            Ok(true)
        })?;
        finish(current);
        Ok(out)
    }

    /// Recomputes every stored counter from the rows it counts and every
    /// artifact's `tag_names` copy from its tag links, repairing drift (from
    /// edits made outside the catalogue, for instance).
    pub fn recount(&self) -> Result<()> {
        self.write(|c| {
            for sql in [
                &self.q.maintenance.recount_collections,
                &self.q.maintenance.recount_groups,
            ] {
                c.execute(sql, &[], "recounting")?;
            }
            for (id, _, names) in self.tag_name_drift(c)? {
                c.execute(
                    &self.q.artifacts.set_tag_names,
                    args![&names, id],
                    "repairing tag names",
                )?;
            }
            Ok(())
        })
    }
}
