//! Project templates: saving (create, update), deleting, listing and
//! loading one with everything a deploy needs in a fixed statement budget.

use std::collections::BTreeSet;

use super::files::{read_file_row, read_outline_row};
use super::{Catalog, count, now_ms};
use crate::conn::Conn;
use crate::error::{Error, ObjectKind, Result};
use crate::model::{
    ArtifactKey, Template, TemplateEntity, TemplateSpec, TemplateSummary, VariableDecl,
    validate_name, validate_variable,
};
use crate::param::args;
use crate::queries::{ENTITY_FILES, MEMBER_FILES};

impl Catalog {
    /// Creates a template with its entities (in deploy order) and declared
    /// variables.
    pub fn create_template(&self, spec: &TemplateSpec) -> Result<()> {
        self.save_template(spec, false)
    }

    /// Replaces an existing template's description, collection (followed
    /// or not), entities and variables.
    pub fn update_template(&self, spec: &TemplateSpec) -> Result<()> {
        self.save_template(spec, true)
    }

    fn save_template(&self, spec: &TemplateSpec, update: bool) -> Result<()> {
        validate_template(spec)?;
        let now = now_ms();
        self.write(|c| {
            self.save_template_in(c, spec, Some(update), now)
                .map(|_| ())
        })
    }

    /// Stores a validated template inside the caller's transaction:
    /// `Some(false)` creates only, `Some(true)` replaces only, `None`
    /// creates or replaces. Whether it existed before.
    pub(super) fn save_template_in(
        &self,
        c: &Conn<'_>,
        spec: &TemplateSpec,
        update: Option<bool>,
        now: i64,
    ) -> Result<bool> {
        let q = &self.q;
        let collection = spec
            .collection
            .as_deref()
            .map(|name| self.collection_id(c, name))
            .transpose()?;
        let existing = self.template_id(c, &spec.name)?;
        let id = match (existing, update) {
            (Some(_), Some(false)) => {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Template,
                    key: spec.name.clone(),
                });
            }
            (None, Some(true)) => return Err(Error::not_found(ObjectKind::Template, &spec.name)),
            (None, _) => c
                .insert_id(
                    &q.templates.insert,
                    args![
                        &spec.name,
                        &spec.description,
                        collection,
                        spec.follows_collection,
                        now,
                        now
                    ],
                    "creating a template",
                )?
                .ok_or_else(|| Error::AlreadyExists {
                    kind: ObjectKind::Template,
                    key: spec.name.clone(),
                })?,
            (Some(id), _) => {
                c.execute(
                    &q.templates.update,
                    args![
                        &spec.description,
                        collection,
                        spec.follows_collection,
                        now,
                        id
                    ],
                    "updating a template",
                )?;
                for sql in [&q.templates.entities_delete, &q.templates.variables_delete] {
                    c.execute(sql, args![id], "replacing a template's entities")?;
                }
                id
            }
        };
        for (order, e) in spec.entities.iter().enumerate() {
            let aid = self.require_artifact(c, &e.artifact)?;
            c.execute(
                &q.templates.entity_insert,
                args![id, aid, order as i64, e.required],
                "adding a template entity",
            )?;
        }
        for (pos, v) in spec.variables.iter().enumerate() {
            c.execute(
                &q.templates.variable_insert,
                args![
                    id,
                    pos as i64,
                    &v.name,
                    v.required,
                    &v.default,
                    &v.description
                ],
                "declaring a template variable",
            )?;
        }
        Ok(existing.is_some())
    }

    /// Deletes a template (its artifacts stay).
    pub fn delete_template(&self, name: &str) -> Result<()> {
        self.write(|c| {
            let id = self
                .template_id(c, name)?
                .ok_or_else(|| Error::not_found(ObjectKind::Template, name))?;
            c.execute(&self.q.templates.delete, args![id], "deleting a template")?;
            Ok(())
        })
    }

    /// The templates that follow a collection, by name (those
    /// [`delete_collection`](Self::delete_collection) refuses to leave
    /// without one).
    pub(crate) fn templates_following(&self, c: &Conn<'_>, collection: i64) -> Result<Vec<String>> {
        c.query_vec(
            &self.q.templates.following,
            args![collection],
            "checking templates that follow a collection",
            |r| r.get(0),
        )
    }

    /// All templates by name, with their entity counts. One statement.
    pub fn list_templates(&self) -> Result<Vec<TemplateSummary>> {
        self.with_conn(|c| {
            c.query_vec(&self.q.templates.list, &[], "listing templates", |r| {
                Ok(TemplateSummary {
                    name: r.get(0)?,
                    description: r.get(1)?,
                    collection: r.get(2)?,
                    follows_collection: r.get(3)?,
                    entity_count: count(r.get(4)?),
                })
            })
        })
    }

    /// A template with its declared variables and its entities in deploy
    /// order, each with its artifact's files and verified contents: everything
    /// a deploy needs. **2 statements** (budget 3): the template with its
    /// variables, then entities with files and blobs — the template's own,
    /// or its collection's members when it follows one.
    pub fn load_template(&self, name: &str) -> Result<Template> {
        self.load(name, false)
    }

    /// [`load_template`](Self::load_template) without any file's content:
    /// each [`ArtifactFile`](crate::ArtifactFile) holds its path, flags and
    /// hash, and an empty `content`; read a file's bytes with
    /// [`file_content`](Self::file_content) when it is needed. What a deploy
    /// of a large template holds, so that its memory does not grow with the
    /// template. **2 statements**, as `load_template`.
    pub fn load_template_outline(&self, name: &str) -> Result<Template> {
        // The outline reads the blobs' rows (their sizes), which hold the
        // small contents: their pages are not kept (see `release_pages`).
        let outline = self.load(name, true);
        self.release_pages();
        outline
    }

    fn load(&self, name: &str, outline: bool) -> Result<Template> {
        self.read(|c| {
            let ctx = "loading a template";
            // id, the followed collection's id (if followed), the template.
            let mut head: Option<(i64, Option<i64>, Template)> = None;
            c.query(&self.q.templates.head, args![name], ctx, |r| {
                if head.is_none() {
                    let follows: bool = r.get(4)?;
                    let collection_id: Option<i64> = r.get(5)?;
                    let followed = collection_id.filter(|_| follows);
                    head = Some((
                        r.get(0)?,
                        followed,
                        Template {
                            name: r.get(1)?,
                            description: r.get(2)?,
                            collection: r.get(3)?,
                            follows_collection: followed.is_some(),
                            variables: Vec::new(),
                            entities: Vec::new(),
                        },
                    ));
                }
                let var: Option<String> = r.get(6)?;
                if let (Some(var), Some((_, _, t))) = (var, head.as_mut()) {
                    t.variables.push(VariableDecl {
                        name: var,
                        required: r.get(7)?,
                        default: r.get(8)?,
                        description: r.get(9)?,
                    });
                }
                Ok(true)
            })?;
            let Some((id, followed, mut template)) = head else {
                return Err(Error::not_found(ObjectKind::Template, name));
            };

            let mut failure: Option<Error> = None;
            // A following template's members are numbered in listing order
            // and all optional, as a snapshot of them is saved.
            let q = &self.q.templates;
            let (sql, key, files_at) = match (followed, outline) {
                (Some(collection), false) => (&q.members, collection, MEMBER_FILES),
                (Some(collection), true) => (&q.members_outline, collection, MEMBER_FILES),
                (None, false) => (&q.entities, id, ENTITY_FILES),
                (None, true) => (&q.entities_outline, id, ENTITY_FILES),
            };
            let mut last: Option<i64> = None;
            c.query(sql, args![key], ctx, |r| {
                // Deploy order, or the artifact id: one value per entity.
                let group: i64 = r.get(0)?;
                if last != Some(group) {
                    last = Some(group);
                    let (deploy_order, required, at) = match followed {
                        Some(_) => (template.entities.len() as i64, false, 1),
                        None => (group, r.get(1)?, 2),
                    };
                    let kind: String = r.get(at)?;
                    let aname: String = r.get(at + 1)?;
                    template.entities.push(TemplateEntity {
                        deploy_order: u32::try_from(deploy_order).unwrap_or(u32::MAX),
                        required,
                        artifact: ArtifactKey::new(kind, aname)?,
                        description: r.get(at + 2)?,
                        files: Vec::new(),
                    });
                }
                match template.entities.last_mut() {
                    Some(entity) if outline => read_outline_row(r, files_at, &mut entity.files),
                    Some(entity) => read_file_row(
                        r,
                        files_at,
                        || entity.artifact.to_string(),
                        &mut entity.files,
                        &mut failure,
                    ),
                    None => Ok(true),
                }
            })?;
            match failure {
                Some(e) => Err(e),
                None => Ok(template),
            }
        })
    }
}

/// A template's own rules, checked before any transaction starts: a valid
/// name, a following template naming its collection and no entities, no
/// entity twice, valid variable names declared once.
pub(super) fn validate_template(spec: &TemplateSpec) -> Result<()> {
    validate_name("template name", &spec.name)?;
    if spec.follows_collection {
        if spec.collection.is_none() {
            return Err(Error::invalid(
                "template",
                &spec.name,
                "it follows a collection but names none".to_string(),
            ));
        }
        if !spec.entities.is_empty() {
            return Err(Error::invalid(
                "template",
                &spec.name,
                "a template following a collection takes its entities from it; \
                 give no entities (or save a snapshot instead)"
                    .to_string(),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for e in &spec.entities {
        if !seen.insert(&e.artifact) {
            return Err(Error::invalid(
                "template entity",
                &e.artifact.to_string(),
                format!("template `{}` lists it twice", spec.name),
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for v in &spec.variables {
        validate_variable(&v.name)?;
        if !seen.insert(&v.name) {
            return Err(Error::invalid(
                "template variable",
                &v.name,
                format!("template `{}` declares it twice", spec.name),
            ));
        }
    }
    Ok(())
}
