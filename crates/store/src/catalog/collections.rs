//! Collections and their groups: create, rename, delete, memberships,
//! pages and counts.

use super::{Catalog, count, now_ms};
use crate::conn::Conn;
use crate::cursor;
use crate::error::{Error, ObjectKind, Result};
use crate::model::{
    ArtifactKey, CollectionDetail, CollectionMeta, CollectionPage, CollectionSummary, GroupSummary,
    MAX_PAGE_LIMIT, MembershipReport, validate_name,
};
use crate::param::{Param, args};

impl Catalog {
    /// Creates an empty collection.
    pub fn create_collection(&self, name: &str, description: &str) -> Result<()> {
        validate_name("collection name", name)?;
        self.write(|c| {
            let inserted = c.execute(
                &self.q.collections.insert,
                args![name, description, now_ms()],
                "creating a collection",
            )?;
            if inserted == 0 {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Collection,
                    key: name.to_owned(),
                });
            }
            Ok(())
        })
    }

    /// Renames a collection; its members, groups and templates follow.
    pub fn rename_collection(&self, from: &str, to: &str) -> Result<()> {
        validate_name("collection name", to)?;
        self.write(|c| {
            let id = self.collection_id(c, from)?;
            if from != to && self.collection_id(c, to).is_ok() {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Collection,
                    key: to.to_owned(),
                });
            }
            c.execute(
                &self.q.collections.rename,
                args![to, id],
                "renaming a collection",
            )?;
            Ok(())
        })
    }

    /// Sets a collection's description and package metadata (a plugin
    /// re-imported at a new version updates its collection in place).
    /// Returns whether anything changed; nothing is written when nothing
    /// does. Two statements (one read, one update when needed).
    pub fn update_collection(
        &self,
        name: &str,
        description: &str,
        meta: &CollectionMeta,
    ) -> Result<bool> {
        self.write(|c| {
            let (id, stored, stored_meta) = self.collection_row(c, name)?;
            if stored.description == description && stored_meta == *meta {
                return Ok(false);
            }
            c.execute(
                &self.q.collections.set_info,
                args![
                    description,
                    &meta.version,
                    &meta.author,
                    &meta.license,
                    &meta.homepage,
                    id
                ],
                "updating a collection",
            )?;
            Ok(true)
        })
    }

    /// Deletes a collection with its memberships and groups (the artifacts
    /// stay; templates saved from it keep their entities). Refused with
    /// [`Error::Followed`] while a template follows it.
    pub fn delete_collection(&self, name: &str) -> Result<()> {
        self.write(|c| {
            let id = self.collection_id(c, name)?;
            let templates = self.templates_following(c, id)?;
            if !templates.is_empty() {
                return Err(Error::Followed {
                    collection: name.to_string(),
                    templates,
                });
            }
            c.execute(
                &self.q.collections.delete,
                args![id],
                "deleting a collection",
            )?;
            Ok(())
        })
    }

    /// Adds artifacts to a collection, reporting which were added, already
    /// present, or unknown (unknown keys are reported, not an error).
    pub fn add_to_collection(&self, name: &str, keys: &[ArtifactKey]) -> Result<MembershipReport> {
        self.write(|c| {
            let cid = self.collection_id(c, name)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.collections.member_insert,
                    args![cid, aid],
                    "adding to a collection",
                )
            })
        })
    }

    /// Removes artifacts from a collection (and from its groups), reporting
    /// which were removed, not members, or unknown.
    pub fn remove_from_collection(
        &self,
        name: &str,
        keys: &[ArtifactKey],
    ) -> Result<MembershipReport> {
        self.write(|c| {
            let cid = self.collection_id(c, name)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.collections.member_delete,
                    args![cid, aid],
                    "removing from a collection",
                )
            })
        })
    }

    fn each_member(
        &self,
        c: &Conn<'_>,
        keys: &[ArtifactKey],
        mut change: impl FnMut(&Conn<'_>, i64) -> Result<u64>,
    ) -> Result<MembershipReport> {
        let mut report = MembershipReport::default();
        for key in keys {
            let list = match self.artifact_id(c, key)? {
                None => &mut report.unknown,
                Some(aid) if change(c, aid)? > 0 => &mut report.changed,
                Some(_) => &mut report.unchanged,
            };
            list.push(key.clone());
        }
        Ok(report)
    }

    /// One page of collections by name, with artifact and group counts.
    /// One statement (budget 2).
    pub fn list_collections(&self, limit: u32, cursor: Option<&str>) -> Result<CollectionPage> {
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(Error::invalid(
                "limit",
                &limit.to_string(),
                "a page holds 1 to 500 collections",
            ));
        }
        let after = cursor.map(cursor::decode_collection).transpose()?;
        let fetch = limit as usize + 1;
        let fetch_param = Param::Int(i64::from(limit) + 1);
        let mut params: Vec<Param<'_>> = Vec::with_capacity(2);
        let sql = match &after {
            None => &self.q.collections.first_page,
            Some(name) => {
                params.push(Param::Text(name));
                &self.q.collections.page_after
            }
        };
        if self.backend.binds_limit() {
            params.push(fetch_param);
        }
        let mut items: Vec<CollectionSummary> = Vec::with_capacity(fetch);
        self.with_conn(|c| {
            c.query(sql, &params, "listing collections", |r| {
                items.push(CollectionSummary {
                    name: r.get(0)?,
                    description: r.get(1)?,
                    artifact_count: count(r.get(2)?),
                    group_count: count(r.get(3)?),
                });
                Ok(items.len() < fetch)
            })
        })?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = match items.last() {
            Some(last) if more => Some(cursor::encode_collection(&last.name)),
            _ => None,
        };
        Ok(CollectionPage { items, next_cursor })
    }

    /// A collection with its counts and its groups. Two statements.
    pub fn collection(&self, name: &str) -> Result<CollectionDetail> {
        self.read(|c| {
            let (id, collection, meta) = self.collection_row(c, name)?;
            let groups = c.query_vec(
                &self.q.collections.groups_of,
                args![id],
                "reading a collection's groups",
                |r| {
                    Ok(GroupSummary {
                        name: r.get(0)?,
                        position: r.get(1)?,
                        artifact_count: count(r.get(2)?),
                    })
                },
            )?;
            Ok(CollectionDetail {
                collection,
                meta,
                groups,
            })
        })
    }

    /// A collection's id, summary and metadata (one statement).
    fn collection_row(
        &self,
        c: &Conn<'_>,
        name: &str,
    ) -> Result<(i64, CollectionSummary, CollectionMeta)> {
        c.query_opt(
            &self.q.collections.row,
            args![name],
            "reading a collection",
            |r| {
                Ok((
                    r.get::<i64>(0)?,
                    CollectionSummary {
                        name: r.get(1)?,
                        description: r.get(2)?,
                        artifact_count: count(r.get(3)?),
                        group_count: count(r.get(4)?),
                    },
                    CollectionMeta {
                        version: r.get(5)?,
                        author: r.get(6)?,
                        license: r.get(7)?,
                        homepage: r.get(8)?,
                    },
                ))
            },
        )?
        .ok_or_else(|| Error::not_found(ObjectKind::Collection, name))
    }

    /// The number of artifacts in a collection, through the count cache: one
    /// statement on a miss, none on a hit.
    pub fn collection_artifact_count(&self, name: &str) -> Result<u64> {
        self.sync_external_writes()?;
        let epoch = match self.cache.collection(name) {
            Ok(n) => return Ok(n),
            Err(epoch) => epoch,
        };
        let n: i64 = self
            .with_conn(|c| {
                c.query_opt(
                    &self.q.collections.count,
                    args![name],
                    "counting a collection",
                    |r| r.get(0),
                )
            })?
            .ok_or_else(|| Error::not_found(ObjectKind::Collection, name))?;
        let n = count(n);
        self.cache.fill_collection(epoch, name, n);
        Ok(n)
    }

    // -------------------------------------------------------------- groups

    /// Creates a group inside a collection.
    pub fn create_group(&self, collection: &str, group: &str, position: i64) -> Result<()> {
        validate_name("group name", group)?;
        self.write(|c| {
            let cid = self.collection_id(c, collection)?;
            let inserted = c.execute(
                &self.q.collections.group_insert,
                args![cid, group, position],
                "creating a group",
            )?;
            if inserted == 0 {
                return Err(Error::AlreadyExists {
                    kind: ObjectKind::Group,
                    key: format!("{collection}/{group}"),
                });
            }
            Ok(())
        })
    }

    /// Deletes a group; its artifacts stay in the collection.
    pub fn delete_group(&self, collection: &str, group: &str) -> Result<()> {
        self.write(|c| {
            let (_, gid) = self.group_id(c, collection, group)?;
            c.execute(
                &self.q.collections.group_delete,
                args![gid],
                "deleting a group",
            )?;
            Ok(())
        })
    }

    /// Adds artifacts to a group, adding them to its collection as well
    /// (group membership implies collection membership).
    pub fn add_to_group(
        &self,
        collection: &str,
        group: &str,
        keys: &[ArtifactKey],
    ) -> Result<MembershipReport> {
        self.write(|c| {
            let (cid, gid) = self.group_id(c, collection, group)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.collections.member_insert,
                    args![cid, aid],
                    "adding to a collection",
                )?;
                c.execute(
                    &self.q.collections.group_member_insert,
                    args![gid, aid],
                    "adding to a group",
                )
            })
        })
    }

    /// Removes artifacts from a group (they stay in the collection).
    pub fn remove_from_group(
        &self,
        collection: &str,
        group: &str,
        keys: &[ArtifactKey],
    ) -> Result<MembershipReport> {
        self.write(|c| {
            let (_, gid) = self.group_id(c, collection, group)?;
            self.each_member(c, keys, |c, aid| {
                c.execute(
                    &self.q.collections.group_member_delete,
                    args![gid, aid],
                    "removing from a group",
                )
            })
        })
    }
}
