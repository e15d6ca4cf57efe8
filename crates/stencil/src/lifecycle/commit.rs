//! Adding a deployment's record and bases to a deploy plan, so they commit
//! in the same transaction as the files (and roll back with them).

use std::collections::HashSet;

use crate::deploy::{Contents, DeployPlan, DeployReport, Expect, RelPath, STATE_DIR};
use crate::lifecycle::bases::{BASES_DIR, base_rel_path};
use crate::lifecycle::record::{DEPLOYMENTS_DIR, DeploymentRecord, record_rel_path};

/// Collects the state entries of one plan: each base once (two templates
/// may share one), each record with the bytes it replaces.
#[derive(Default)]
pub(crate) struct StateEntries {
    bases: HashSet<String>,
}

impl StateEntries {
    /// Adds base `key` holding `bytes`, unless already added. Content-
    /// addressed, so one already on disk is kept as it is.
    pub(crate) fn add_base(
        &mut self,
        plan: &mut DeployPlan,
        key: &str,
        bytes: &[u8],
    ) -> Result<(), crate::Error> {
        self.add_base_contents(plan, key, || bytes.to_vec().into())
    }

    /// [`add_base`](Self::add_base) with the plan's [`Contents`] (shared
    /// or deferred), made only when the base is new.
    pub(crate) fn add_base_contents(
        &mut self,
        plan: &mut DeployPlan,
        key: &str,
        contents: impl FnOnce() -> Contents,
    ) -> Result<(), crate::Error> {
        if !self.bases.insert(key.to_string()) {
            return Ok(());
        }
        let rel = state_path(&base_rel_path(key))?;
        plan.add_contents(rel, contents(), None, Expect::KeepIfExists)?;
        Ok(())
    }

    /// Adds `record`, replacing `old` (the bytes read when planning; the
    /// deploy fails if they changed meanwhile) or creating it.
    pub(crate) fn add_record(
        &mut self,
        plan: &mut DeployPlan,
        record: &DeploymentRecord,
        old: Option<&[u8]>,
    ) -> Result<(), crate::Error> {
        let rel = state_path(&record_rel_path(&record.template))?;
        let expect = match old {
            Some(bytes) => Expect::Content(bytes.to_vec()),
            None => Expect::Absent,
        };
        plan.add_expecting(rel, record.to_json(), None, expect)?;
        Ok(())
    }
}

/// Removes a record (undeploy): it must still hold `old`.
pub(crate) fn remove_record(
    plan: &mut DeployPlan,
    template: &str,
    old: &[u8],
) -> Result<(), crate::Error> {
    plan.remove(state_path(&record_rel_path(template))?, old.to_vec())?;
    Ok(())
}

/// Removes base `key` (no longer referenced by any record); `bytes` is its content.
pub(crate) fn remove_base(
    plan: &mut DeployPlan,
    key: &str,
    bytes: &[u8],
) -> Result<(), crate::Error> {
    plan.remove(state_path(&base_rel_path(key))?, bytes.to_vec())?;
    Ok(())
}

fn state_path(rel: &str) -> Result<RelPath, crate::Error> {
    let rest = rel
        .strip_prefix(STATE_DIR)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(rel);
    RelPath::in_state_dir(rest).map_err(|source| crate::Error::Path {
        artifact: "deployment record".into(),
        path: rel.to_string(),
        source,
    })
}

/// Whether `path` is one of the lifecycle's state files (a record or a base).
pub(crate) fn is_state(path: &RelPath) -> bool {
    let s = path.as_str();
    s == STATE_DIR
        || s.strip_prefix(STATE_DIR)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|r| {
                [DEPLOYMENTS_DIR, BASES_DIR]
                    .iter()
                    .any(|d| r == *d || r.strip_prefix(d).is_some_and(|x| x.starts_with('/')))
            })
}

/// Takes the record and base entries out of a deploy report, so that its
/// counts and byte totals speak of the project's files only.
pub(crate) fn strip_state(report: &mut DeployReport, plan: &DeployPlan) {
    // A set, not `Vec::contains`: a deploy of n files has ~2n entries (the
    // files and their bases), and a linear search per entry was quadratic.
    let placed: HashSet<&RelPath> = report
        .written
        .iter()
        .chain(&report.overwritten)
        .filter(|p| is_state(p))
        .collect();
    let state_bytes: u64 = plan
        .entries()
        .iter()
        .filter(|e| placed.contains(e.path()))
        .map(|e| e.contents().len() as u64)
        .sum();
    report.bytes = report.bytes.saturating_sub(state_bytes);
    report.written.retain(|p| !is_state(p));
    report.overwritten.retain(|p| !is_state(p));
    report.skipped.retain(|p| !is_state(p));
    report.removed.retain(|p| !is_state(p));
    report.dirs_created.retain(|p| !is_state(p));
    report.dirs_removed.retain(|p| !is_state(p));
}
