//! Artifact listings: keyset pages with tags and collections, facets and
//! tag counts, each in a fixed statement budget.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Catalog, ShapeKind, count, split_tags};
use crate::backend::Buildable;
use crate::conn::{Conn, Row};
use crate::cursor;
use crate::error::{Error, Result};
use crate::model::{
    ArtifactKey, ArtifactPage, ArtifactQuery, ArtifactSort, ArtifactSummary, CollectionRef,
    CountMode, Facets, MAX_PAGE_LIMIT, TagCount, validate_name, validate_type,
};
use crate::param::{Param, args};
use crate::queries::{self, After, Filter};

/// A listing page being read: rows, their ids, and their collections as
/// (page position, collection name, count — or id in `CountMode::Query`
/// until counted).
struct PageRows {
    ids: Vec<i64>,
    items: Vec<ArtifactSummary>,
    links: Vec<(usize, String, i64)>,
    more: bool,
}

impl PageRows {
    fn new(limit: usize) -> Self {
        PageRows {
            ids: Vec::with_capacity(limit + 1),
            items: Vec::with_capacity(limit + 1),
            links: Vec::new(),
            more: false,
        }
    }

    /// Takes one row of a page joined to its collections (see
    /// `queries::page_with_collections_statement`): a new artifact starts a
    /// new item, every row adds its collection. `false` once the row after
    /// the last of `limit` artifacts is seen. With [`CountMode::Triggers`]
    /// the collection goes straight to its item; otherwise it waits in
    /// `links` to be counted.
    fn push_joined(&mut self, r: &Row<'_>, limit: usize, mode: CountMode) -> Result<bool> {
        let id: i64 = r.get(0)?;
        if self.ids.last() != Some(&id) {
            if self.ids.len() == limit {
                self.more = true;
                return Ok(false);
            }
            let (_, item) = summary_row(r)?;
            self.ids.push(id);
            self.items.push(item);
        }
        if let Some(name) = r.get::<Option<String>>(8)? {
            let n: i64 = r.get(9)?;
            match (mode, self.items.last_mut()) {
                (CountMode::Triggers, Some(item)) => item.collections.push(CollectionRef {
                    name,
                    artifact_count: count(n),
                }),
                _ => self.links.push((self.items.len() - 1, name, n)),
            }
        }
        Ok(true)
    }

    /// Attaches the collections (sorted by name) and the next cursor.
    fn finish(mut self, sort: ArtifactSort) -> ArtifactPage {
        for (at, name, n) in self.links {
            if let Some(item) = self.items.get_mut(at) {
                item.collections.push(CollectionRef {
                    name,
                    artifact_count: count(n),
                });
            }
        }
        for item in &mut self.items {
            item.collections
                .sort_unstable_by(|x, y| x.name.cmp(&y.name));
        }
        let next_cursor = match (self.items.last(), self.ids.last()) {
            (Some(last), Some(&id)) if self.more => Some(cursor::encode_artifact(&match sort {
                ArtifactSort::Name => After::Name {
                    name: last.key.name().to_owned(),
                    id,
                },
                ArtifactSort::RecentlyUpdated => After::Updated {
                    updated_at: last.updated_ms,
                    id,
                },
            })),
            _ => None,
        };
        ArtifactPage {
            items: self.items,
            next_cursor,
        }
    }
}

fn summary_row(r: &Row<'_>) -> Result<(i64, ArtifactSummary)> {
    let name: String = r.get(2)?;
    let key = r.with_str(1, |kind| ArtifactKey::stored(kind, name))?;
    let tags: String = r.get(7)?;
    Ok((
        r.get(0)?,
        ArtifactSummary {
            key,
            description: r.get(3)?,
            source: r.get(4)?,
            created_ms: r.get(5)?,
            updated_ms: r.get(6)?,
            tags: split_tags(&tags),
            collections: Vec::new(),
        },
    ))
}

impl Catalog {
    pub(super) fn filter(query: &ArtifactQuery) -> Result<Filter> {
        let mut types: Vec<String> = query.types.clone();
        for t in &types {
            validate_type(t)?;
        }
        types.sort();
        types.dedup();
        let mut tags: Vec<String> = query.tags.clone();
        for t in &tags {
            validate_name("tag", t)?;
        }
        tags.sort();
        tags.dedup();
        Ok(Filter {
            types,
            tags,
            collection: query.collection.clone(),
            search: query.search.clone().filter(|s| !s.is_empty()),
        })
    }

    /// One page of artifacts, each with its tags and its collections (with
    /// their artifact counts). SQLite: **1 statement** whatever the page
    /// size or position, the page joined to its collections (tags come with
    /// each row), when SQLite reads the page straight off an index (no
    /// filter, or one type sorted by name); otherwise
    /// **2 statements** (budget 3): the page, then the collections of its
    /// rows bound as one ID-list parameter.
    /// PostgreSQL: **1 statement**, the page joined to its collections (a
    /// round trip costs more than the repeated row data). In
    /// [`CountMode::Query`] one more statement counts the members of the
    /// page's collections that the count cache does not hold (one `GROUP
    /// BY`, none when all are cached).
    pub fn list_artifacts(&self, query: &ArtifactQuery) -> Result<ArtifactPage> {
        if !(1..=MAX_PAGE_LIMIT).contains(&query.limit) {
            return Err(Error::invalid(
                "limit",
                &query.limit.to_string(),
                "a page holds 1 to 500 artifacts",
            ));
        }
        let filter = Self::filter(query)?;
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode_artifact(c, query.sort))
            .transpose()?;
        let limit = query.limit as usize;
        let values = queries::page_params(
            self.backend,
            &filter,
            after.as_ref(),
            i64::from(query.limit) + 1,
        );
        let params: Vec<Param<'_>> = values.iter().map(Param::from).collect();
        let shape = filter.shape(query.sort, after.is_some());

        if self.backend.joins_page_collections() {
            // The LIMIT goes into the text (see `queries::inline_limit`; a
            // unit test checks it does for every shape), so it is not bound
            // and the text is kept per page size.
            let fetch = i64::from(query.limit) + 1;
            let bound = params.len();
            let sql = self.shape_text(ShapeKind::PageWithCollections(query.limit), shape, || {
                let built = queries::page_with_collections_statement(
                    self.backend,
                    self.count_mode,
                    &filter,
                    query.sort,
                    after.as_ref(),
                )
                .build_for(self.backend)
                .0;
                queries::inline_limit(&built, bound, fetch).unwrap_or(built)
            });
            let params = &params[..bound.saturating_sub(1)];
            // One statement is one snapshot: no transaction round trips.
            return self.with_conn(|c| {
                let mut page = PageRows::new(limit);
                c.query(&sql, params, "listing artifacts", |r| {
                    page.push_joined(r, limit, self.count_mode)
                })?;
                if self.count_mode == CountMode::Query {
                    self.page_counts(c, &mut page.links)?;
                }
                Ok(page.finish(query.sort))
            });
        }

        if shape.streams() {
            // SQLite reads the page in index order and stops at the row
            // after the page, so the join stays page-sized: one statement,
            // one snapshot, no transaction, no ID list.
            let sql = self.shape_sql(ShapeKind::PageJoined, shape, || {
                queries::page_with_collections_statement(
                    self.backend,
                    self.count_mode,
                    &filter,
                    query.sort,
                    after.as_ref(),
                )
            });
            return self.with_conn(|c| {
                let mut page = PageRows::new(limit);
                c.query(&sql, &params, "listing artifacts", |r| {
                    page.push_joined(r, limit, self.count_mode)
                })?;
                if self.count_mode == CountMode::Query {
                    self.page_counts(c, &mut page.links)?;
                }
                Ok(page.finish(query.sort))
            });
        }

        let sql = self.shape_sql(ShapeKind::Page, shape, || {
            queries::page_statement(self.backend, &filter, query.sort, after.as_ref())
        });
        self.read(|c| {
            let mut page = PageRows::new(limit);
            c.query(&sql, &params, "listing artifacts", |r| {
                let (id, item) = summary_row(r)?;
                page.ids.push(id);
                page.items.push(item);
                Ok(page.ids.len() <= limit)
            })?;
            page.more = page.items.len() > limit;
            page.ids.truncate(limit);
            page.items.truncate(limit);
            if page.items.is_empty() {
                return Ok(page.finish(query.sort));
            }
            // Row ids to page positions, for attaching collections: a sorted
            // vector beats a hash map at these sizes (≤ 500).
            let mut index: Vec<(i64, usize)> = page.ids.iter().copied().zip(0..).collect();
            index.sort_unstable();
            c.query(
                &self.q.listing.page_collections,
                args![Param::Ids(&page.ids)],
                "reading collections of a page",
                |r| {
                    let id: i64 = r.get(0)?;
                    if let Ok(at) = index.binary_search_by_key(&id, |&(id, _)| id) {
                        page.links.push((index[at].1, r.get(1)?, r.get(2)?));
                    }
                    Ok(true)
                },
            )?;
            if self.count_mode == CountMode::Query {
                self.page_counts(c, &mut page.links)?;
            }
            Ok(page.finish(query.sort))
        })
    }

    /// [`CountMode::Query`]: replaces each link's collection id by the
    /// collection's member count, from the count cache or one `GROUP BY`
    /// over the collections it misses.
    fn page_counts(&self, c: &Conn<'_>, links: &mut [(usize, String, i64)]) -> Result<()> {
        let mut known: HashMap<i64, i64> = HashMap::new();
        let mut missing: Vec<(i64, &str)> = Vec::new();
        let mut epoch = None;
        for (_, name, cid) in links.iter() {
            if known.contains_key(cid) || missing.iter().any(|(m, _)| m == cid) {
                continue;
            }
            match self.cache.collection(name) {
                Ok(n) => {
                    known.insert(*cid, i64::try_from(n).unwrap_or(i64::MAX));
                }
                Err(e) => {
                    epoch.get_or_insert(e);
                    missing.push((*cid, name));
                }
            }
        }
        if let Some(epoch) = epoch {
            let ids: Vec<i64> = missing.iter().map(|(cid, _)| *cid).collect();
            let counted: HashMap<i64, i64> = c
                .query_vec(
                    &self.q.listing.page_counts,
                    args![Param::Ids(&ids)],
                    "counting the collections of a page",
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .into_iter()
                .collect();
            for (cid, name) in missing {
                let n = counted.get(&cid).copied().unwrap_or(0);
                self.cache.fill_collection(epoch, name, count(n));
                known.insert(cid, n);
            }
        }
        for link in links.iter_mut() {
            link.2 = known.get(&link.2).copied().unwrap_or(0);
        }
        Ok(())
    }

    /// Counts of the artifacts matching a query's filters (its sort, limit
    /// and cursor are ignored): total, by type and by tag. **At most 2
    /// statements**, none on a cache hit.
    pub fn facets(&self, query: &ArtifactQuery) -> Result<Facets> {
        self.sync_external_writes()?;
        let filter = Self::filter(query)?;
        let epoch = match self.cache.facets(&filter) {
            Ok(hit) => return Ok((*hit).clone()),
            Err(epoch) => epoch,
        };
        let shape = filter.shape(ArtifactSort::Name, false);
        let types_sql = self.shape_sql(ShapeKind::FacetTypes, shape.clone(), || {
            queries::facet_types_statement(self.backend, &filter)
        });
        let tags_sql = self.shape_sql(ShapeKind::FacetTags, shape, || {
            queries::facet_tags_statement(self.backend, &filter)
        });
        let values = queries::facet_params(&filter);
        let params: Vec<Param<'_>> = values.iter().map(Param::from).collect();
        let facets = self.read(|c| {
            let pairs = |sql: &str| -> Result<Vec<(String, u64)>> {
                c.query_vec(sql, &params, "counting facets", |r| {
                    Ok((r.get(0)?, count(r.get(1)?)))
                })
            };
            let by_type = pairs(&types_sql)?;
            let by_tag = pairs(&tags_sql)?;
            Ok(Facets {
                total: by_type.iter().map(|(_, n)| n).sum(),
                by_type,
                by_tag,
            })
        })?;
        self.cache
            .fill_facets(epoch, filter, Arc::new(facets.clone()));
        Ok(facets)
    }

    /// Every tag with the number of artifacts carrying it, by name; tags on
    /// no artifact are left out. One statement, none on a cache hit.
    pub fn tag_counts(&self) -> Result<Vec<TagCount>> {
        self.sync_external_writes()?;
        let epoch = match self.cache.tags() {
            Ok(hit) => return Ok((*hit).clone()),
            Err(epoch) => epoch,
        };
        let tags: Vec<TagCount> = self.with_conn(|c| {
            c.query_vec(&self.q.listing.tag_counts, &[], "counting tags", |r| {
                Ok(TagCount {
                    name: r.get(0)?,
                    count: count(r.get(1)?),
                })
            })
        })?;
        self.cache.fill_tags(epoch, Arc::new(tags.clone()));
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Db;
    use crate::model::NewArtifact;

    #[test]
    fn listing_statements_are_not_re_prepared_between_calls() {
        let c = Catalog::open_in_memory().unwrap();
        for name in ["alpha", "beta", "gamma"] {
            let key = ArtifactKey::new("skill", name).unwrap();
            c.put_artifact(&NewArtifact::new(key).file("a.md", name).tag("t"))
                .unwrap();
        }
        #[allow(irrefutable_let_patterns)] // without the `postgres` feature
        let Db::Sqlite(conn) = &c.db else {
            panic!("an in-memory catalogue is SQLite");
        };
        let after = After::Name {
            name: String::new(),
            id: 0,
        };
        // A filtered page (two statements) and a page straight off an
        // index (one joined statement), each read from a cursor twice.
        let filtered = ArtifactQuery::new()
            .kind("skill")
            .tag("t")
            .search("A")
            .limit(1);
        let streaming = ArtifactQuery::new().kind("skill").limit(1);
        for q in [filtered, streaming] {
            let mut cursor = None;
            for _ in 0..3 {
                let mut page_q = q.clone();
                page_q.cursor = cursor.take();
                cursor = c.list_artifacts(&page_q).unwrap().next_cursor;
            }
            let filter = Catalog::filter(&q).unwrap();
            let shape = filter.shape(q.sort, true);
            let sql = if shape.streams() {
                c.shape_sql(ShapeKind::PageJoined, shape, || {
                    queries::page_with_collections_statement(
                        c.backend,
                        c.count_mode,
                        &filter,
                        q.sort,
                        Some(&after),
                    )
                })
            } else {
                c.shape_sql(ShapeKind::Page, shape, || {
                    queries::page_statement(c.backend, &filter, q.sort, Some(&after))
                })
            };
            let conn = conn.lock().unwrap();
            let stmt = conn.prepare_cached(&sql).unwrap();
            // A bound LIMIT or LIKE pattern would make SQLite re-prepare at
            // each execution; see `queries::page_statement`.
            assert_eq!(
                stmt.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "{q:?}"
            );
            assert!(
                stmt.get_status(rusqlite::StatementStatus::Run) >= 2,
                "{q:?}"
            );
        }
    }

    /// A shape read as one joined statement must stream: a plan that sorts
    /// would join every matching artifact to its collections before the
    /// sort picked the page.
    #[test]
    fn streaming_shapes_are_planned_without_a_sort() {
        let c = Catalog::open_in_memory().unwrap();
        #[allow(irrefutable_let_patterns)] // without the `postgres` feature
        let Db::Sqlite(conn) = &c.db else {
            panic!("an in-memory catalogue is SQLite");
        };
        let conn = conn.lock().unwrap();
        let mut streaming = 0;
        for types in [&[][..], &["skill"], &["agent", "skill"]] {
            for tags in [&[][..], &["a"], &["a", "b"]] {
                for collection in [None, Some("docs")] {
                    for search in [None, Some("x")] {
                        let mut q = ArtifactQuery::new();
                        for t in types {
                            q = q.kind(*t);
                        }
                        for t in tags {
                            q = q.tag(*t);
                        }
                        if let Some(name) = collection {
                            q = q.collection(name);
                        }
                        if let Some(s) = search {
                            q = q.search(s);
                        }
                        let filter = Catalog::filter(&q).unwrap();
                        let afters = [
                            (ArtifactSort::Name, None),
                            (
                                ArtifactSort::Name,
                                Some(After::Name {
                                    name: "m".into(),
                                    id: 9,
                                }),
                            ),
                            (ArtifactSort::RecentlyUpdated, None),
                            (
                                ArtifactSort::RecentlyUpdated,
                                Some(After::Updated {
                                    updated_at: 5,
                                    id: 9,
                                }),
                            ),
                        ];
                        for (sort, after) in afters {
                            if !filter.shape(sort, after.is_some()).streams() {
                                continue;
                            }
                            streaming += 1;
                            let sql = queries::page_with_collections_statement(
                                c.backend,
                                c.count_mode,
                                &filter,
                                sort,
                                after.as_ref(),
                            )
                            .build_for(c.backend)
                            .0;
                            let mut stmt =
                                conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                            let mut rows = stmt.raw_query();
                            let mut plan: Vec<String> = Vec::new();
                            while let Some(r) = rows.next().unwrap() {
                                plan.push(r.get(3).unwrap());
                            }
                            assert!(
                                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                                "{q:?} sorted by {sort:?}: {plan:#?}"
                            );
                        }
                    }
                }
            }
        }
        // By name: no type or one, with and without a cursor; recently
        // updated: no type.
        assert_eq!(streaming, 2 * 2 + 2, "a streaming shape went unchecked");
    }
}
