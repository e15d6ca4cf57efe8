//! Installing a set of artifacts and templates in one transaction (registry
//! installs and upgrades: all or nothing), and reading back where artifacts
//! came from in one statement (`outdated`).
//!
//! The writes reuse the import and template internals (`artifacts.rs`,
//! `templates.rs`) inside a single write transaction, so a failure in the
//! last template leaves no artifact of the first behind.

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, Iden, Order, Query};

use super::artifacts::prepare;
use super::templates::validate_template;
use super::{Catalog, now_ms};
use crate::error::{Error, Result};
use crate::model::{ArtifactKey, ImportReport, NewArtifact, PutOutcome, TemplateSpec};
use crate::param::args;
use crate::queries::build::p;

/// What [`Catalog::install`] stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallOutcome {
    /// The artifacts created, updated or left unchanged.
    pub artifacts: ImportReport,
    /// Templates that did not exist before.
    pub templates_created: Vec<String>,
    /// Templates that existed and were replaced.
    pub templates_replaced: Vec<String>,
}

/// An installed artifact and the source recorded for it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArtifactSource {
    /// The artifact.
    pub key: ArtifactKey,
    /// Its recorded source.
    pub source: String,
}

#[derive(Iden, Clone, Copy)]
enum Artifacts {
    Table,
    #[iden = "type"]
    Kind,
    Name,
    Source,
}

impl Catalog {
    /// Stores artifacts (created or updated, as [`import`](Self::import)
    /// does) and then templates (each created, or replaced if it exists) in
    /// **one transaction**: all or nothing. Every artifact and template is
    /// validated before the transaction starts; a failure inside it (a
    /// template naming an artifact that does not exist, a database error)
    /// rolls everything back.
    ///
    /// ```
    /// use stencil_store::{ArtifactKey, Catalog, NewArtifact, TemplateSpec};
    ///
    /// let catalog = Catalog::open_in_memory()?;
    /// let key = ArtifactKey::new("command", "review")?;
    /// let outcome = catalog.install(
    ///     vec![NewArtifact::new(key.clone()).file("review.md", "Review.\n")],
    ///     &[TemplateSpec::new("starter").entity(key, true)],
    /// )?;
    /// assert_eq!(outcome.artifacts.created.len(), 1);
    /// assert_eq!(outcome.templates_created, ["starter"]);
    ///
    /// // A template naming a missing artifact stores nothing, not even the
    /// // artifact before it.
    /// let other = ArtifactKey::new("command", "other")?;
    /// let missing = ArtifactKey::new("command", "missing")?;
    /// assert!(catalog.install(
    ///     vec![NewArtifact::new(other.clone()).file("o.md", "O.\n")],
    ///     &[TemplateSpec::new("broken").entity(missing, true)],
    /// ).is_err());
    /// assert!(catalog.artifact(&other).is_err());
    /// # Ok::<(), stencil_store::Error>(())
    /// ```
    pub fn install(
        &self,
        artifacts: Vec<NewArtifact>,
        templates: &[TemplateSpec],
    ) -> Result<InstallOutcome> {
        let prepared = artifacts.iter().map(prepare).collect::<Result<Vec<_>>>()?;
        for spec in templates {
            validate_template(spec)?;
        }
        let now = now_ms();
        self.write(|c| {
            let mut outcome = InstallOutcome::default();
            let mut tags = HashMap::new();
            for (a, p) in artifacts.iter().zip(&prepared) {
                let list = match self.put_in(c, a, p, now, &mut tags)? {
                    PutOutcome::Created => &mut outcome.artifacts.created,
                    PutOutcome::Updated => &mut outcome.artifacts.updated,
                    PutOutcome::Unchanged => &mut outcome.artifacts.unchanged,
                };
                list.push(a.key.clone());
            }
            for spec in templates {
                let existed = self.save_template_in(c, spec, None, now)?;
                let list = if existed {
                    &mut outcome.templates_replaced
                } else {
                    &mut outcome.templates_created
                };
                list.push(spec.name.clone());
            }
            Ok(outcome)
        })
    }

    /// Every artifact whose recorded source starts with `prefix`, ordered
    /// by source, then type and name. **One statement**, whatever the
    /// number of artifacts (the prefix test is done here, not with `LIKE`,
    /// so `%` and `_` need no escaping).
    pub fn artifact_sources(&self, prefix: &str) -> Result<Vec<ArtifactSource>> {
        let sql = self.backend().sql(
            Query::select()
                .columns([Artifacts::Kind, Artifacts::Name, Artifacts::Source])
                .from(Artifacts::Table)
                .and_where(Expr::col(Artifacts::Source).gte(p()))
                .order_by(Artifacts::Source, Order::Asc)
                .order_by(Artifacts::Kind, Order::Asc)
                .order_by(Artifacts::Name, Order::Asc),
        );
        let rows = self.with_conn(|c| {
            c.query_vec(&sql, args![prefix], "listing artifact sources", |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                ))
            })
        })?;
        rows.into_iter()
            .take_while(|(_, _, source)| source.starts_with(prefix))
            .map(|(kind, name, source)| {
                Ok(ArtifactSource {
                    key: ArtifactKey::new(kind, name)
                        .map_err(|e| Error::invalid("stored artifact", &source, e.to_string()))?,
                    source,
                })
            })
            .collect()
    }
}
