//! Statements of `catalog/listing.rs`: artifact pages with their
//! collections, facets and tag counts. The page and facet statements change
//! shape with their filter ([`Filter`]), so they are built per shape; the
//! rest are fixed.

use sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Order, Query, SelectStatement,
    SubQueryStatement, Value,
};

use super::schema::{ArtifactTags, Artifacts, CollectionMembers, Collections, Tags};
use crate::backend::{Backend, search_param};
use crate::model::{ArtifactSort, CountMode};

/// The fixed listing statements.
pub(crate) struct ListingSql {
    /// → tag name, artifact count (by name; tags on no artifact left out)
    pub tag_counts: String,
    /// artifact ids (one list parameter) → artifact id, collection name,
    /// artifact count ([`CountMode::Query`]: the collection id, counted
    /// apart by `page_counts`)
    pub page_collections: String,
    /// collection ids (one list parameter) → collection id, member count
    pub page_counts: String,
}

impl ListingSql {
    pub(crate) fn new(b: Backend, mode: CountMode) -> Self {
        use CollectionMembers as M;
        use Collections as C;
        ListingSql {
            tag_counts: b.sql(
                Query::select()
                    .column((Tags::Table, Tags::Name))
                    .expr(Func::count(Expr::col((
                        ArtifactTags::Table,
                        ArtifactTags::ArtifactId,
                    ))))
                    .from(Tags::Table)
                    .inner_join(
                        ArtifactTags::Table,
                        Expr::col((ArtifactTags::Table, ArtifactTags::TagId))
                            .equals((Tags::Table, Tags::Id)),
                    )
                    .group_by_columns([(Tags::Table, Tags::Id), (Tags::Table, Tags::Name)])
                    .order_by((Tags::Table, Tags::Name), Order::Asc),
            ),
            page_collections: b.sql(
                Query::select()
                    .column((M::Table, M::ArtifactId))
                    .column((C::Table, C::Name))
                    .column(match mode {
                        CountMode::Triggers => (C::Table, C::ArtifactCount),
                        // Counted apart (`page_counts`), through the cache.
                        CountMode::Query => (C::Table, C::Id),
                    })
                    .from(M::Table)
                    .inner_join(
                        C::Table,
                        Expr::col((C::Table, C::Id)).equals((M::Table, M::CollectionId)),
                    )
                    .and_where(b.in_id_list(Expr::col((M::Table, M::ArtifactId)))),
            ),
            page_counts: b.sql(
                Query::select()
                    .column((M::Table, M::CollectionId))
                    .expr(Func::count(Expr::col(Asterisk)))
                    .from(M::Table)
                    .and_where(b.in_id_list(Expr::col((M::Table, M::CollectionId))))
                    .group_by_col((M::Table, M::CollectionId)),
            ),
        }
    }
}

/// A validated, normalised artifact filter (no page position).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Filter {
    /// Sorted, deduplicated.
    pub types: Vec<String>,
    /// Sorted, deduplicated.
    pub tags: Vec<String>,
    pub collection: Option<String>,
    pub search: Option<String>,
}

/// A decoded keyset position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum After {
    Name { name: String, id: i64 },
    Updated { updated_at: i64, id: i64 },
}

/// What decides the text of a listing statement: equal shapes print equal
/// SQL, so the text is built once per shape and reused.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub types: usize,
    pub tags: usize,
    pub collection: bool,
    pub search: bool,
    pub sort: ArtifactSort,
    pub after: bool,
}

impl Shape {
    /// Whether SQLite reads this shape's page straight off an index, in
    /// page order, stopping at the page's end: no filter but one type
    /// sorted by name at most (the `(type, name)` index). Such a page is
    /// read as one statement joined to its collections. Other shapes read
    /// the page first and the collections of its rows after: a shape that
    /// sorts would join every match before the sort, and SQLite evaluates a
    /// tag's `EXISTS` (and the search) after the joins, so a filtered page
    /// would look up the collections of every row it skips (4× slower on
    /// the bench's filtered page). A test checks the plans
    /// (`streaming_shapes_are_planned_without_a_sort`).
    pub(crate) fn streams(&self) -> bool {
        !self.collection
            && self.tags == 0
            && !self.search
            && match self.types {
                0 => true,
                1 => self.sort == ArtifactSort::Name,
                _ => false,
            }
    }
}

impl Filter {
    pub(crate) fn shape(&self, sort: ArtifactSort, after: bool) -> Shape {
        Shape {
            types: self.types.len(),
            tags: self.tags.len(),
            collection: self.collection.is_some(),
            search: self.search.is_some(),
            sort,
            after,
        }
    }

    /// The WHERE conditions of the filter on `artifacts`, in the order
    /// [`Filter::params`] lists their values.
    fn conditions(&self, b: Backend) -> Vec<Expr> {
        use Artifacts as A;
        let mut out = Vec::new();
        if !self.types.is_empty() {
            out.push(Expr::col((A::Table, A::Type)).is_in(self.types.iter().map(String::as_str)));
        }
        for tag in &self.tags {
            if b == Backend::Postgres {
                // The row's `tag_names` copy (the tags a page shows), read
                // from the listing indexes (migration 0007): an index-only
                // scan decides a candidate row without a probe per row into
                // `artifact_tags` (~3× the index pages, and a table read per
                // candidate). Like the copy itself, checked by
                // `verify_counts` and repaired by `recount`.
                out.push(Expr::cust_with_exprs(
                    "strpos(chr(31) || $1 || chr(31), chr(31) || $2 || chr(31)) > 0",
                    [Expr::col((A::Table, A::TagNames)), Expr::val(tag.as_str())],
                ));
                continue;
            }
            // One EXISTS per required tag: a primary-key probe per candidate
            // row, so an ordered scan stops at the page's LIMIT. (An
            // `IN (… GROUP BY … HAVING COUNT(*) = n)` form materialised every
            // carrier of the tag first: ~10× slower on the bench data.)
            let tag_id = Query::select()
                .column(Tags::Id)
                .from(Tags::Table)
                .and_where(Expr::col(Tags::Name).eq(tag.as_str()))
                .to_owned();
            out.push(Expr::exists(
                Query::select()
                    .expr(Expr::Constant(Value::from(1)))
                    .from(ArtifactTags::Table)
                    .and_where(
                        Expr::col((ArtifactTags::Table, ArtifactTags::ArtifactId))
                            .equals((A::Table, A::Id)),
                    )
                    .and_where(
                        Expr::col((ArtifactTags::Table, ArtifactTags::TagId))
                            .eq(SubQueryStatement::SelectStatement(tag_id)),
                    )
                    .to_owned(),
            ));
        }
        if let Some(collection) = &self.collection {
            let members = Query::select()
                .column((CollectionMembers::Table, CollectionMembers::ArtifactId))
                .from(CollectionMembers::Table)
                .inner_join(
                    Collections::Table,
                    Expr::col((Collections::Table, Collections::Id))
                        .equals((CollectionMembers::Table, CollectionMembers::CollectionId)),
                )
                .and_where(Expr::col((Collections::Table, Collections::Name)).eq(collection))
                .to_owned();
            out.push(Expr::col((A::Table, A::Id)).in_subquery(members));
        }
        if let Some(search) = &self.search {
            out.push(
                b.contains(Expr::col((A::Table, A::Name)), search)
                    .or(b.contains(Expr::col((A::Table, A::Description)), search)),
            );
        }
        out
    }

    /// The bound values of [`Filter::conditions`], in statement order.
    fn params(&self, out: &mut Vec<Value>) {
        out.extend(self.types.iter().map(|t| Value::from(t.as_str())));
        out.extend(self.tags.iter().map(|t| Value::from(t.as_str())));
        if let Some(c) = &self.collection {
            out.push(Value::from(c.as_str()));
        }
        if let Some(s) = &self.search {
            let needle = search_param(s);
            out.push(Value::from(needle.clone()));
            out.push(Value::from(needle));
        }
    }
}

/// The page statement: matching artifacts in order. The caller reads
/// `limit + 1` rows (to know whether a next page exists) and stops.
///
/// Deliberately no `LIMIT ?`: SQLite plans with the bound LIMIT value, which
/// marks the statement to be re-prepared on every execution (SQL parsing
/// was about 9% of a listing's profile). Rows are produced lazily, so an
/// ordered index scan still stops after the rows read; plans that sort
/// (several types, a collection) sort all matches either way.
pub(crate) fn page_statement(
    b: Backend,
    filter: &Filter,
    sort: ArtifactSort,
    after: Option<&After>,
) -> SelectStatement {
    use Artifacts as A;
    let mut q = Query::select();
    q.columns([
        (A::Table, A::Id),
        (A::Table, A::Type),
        (A::Table, A::Name),
        (A::Table, A::Description),
        (A::Table, A::Source),
        (A::Table, A::CreatedAt),
        (A::Table, A::UpdatedAt),
        (A::Table, A::TagNames),
    ])
    .from(A::Table);
    for c in filter.conditions(b) {
        q.and_where(c);
    }
    match after {
        Some(After::Name { name, id }) => {
            q.and_where(
                Expr::tuple([Expr::col((A::Table, A::Name)), Expr::col((A::Table, A::Id))])
                    .gt(Expr::tuple([Expr::val(name.as_str()), Expr::val(*id)])),
            );
        }
        Some(After::Updated { updated_at, id }) => {
            q.and_where(
                Expr::tuple([
                    Expr::col((A::Table, A::UpdatedAt)),
                    Expr::col((A::Table, A::Id)),
                ])
                .lt(Expr::tuple([Expr::val(*updated_at), Expr::val(*id)])),
            );
        }
        None => {}
    }
    if b.binds_limit() {
        // Bound last (see `page_params`).
        q.limit(0);
    }
    match sort {
        ArtifactSort::Name => q
            .order_by((A::Table, A::Name), Order::Asc)
            .order_by((A::Table, A::Id), Order::Asc),
        ArtifactSort::RecentlyUpdated => q
            .order_by((A::Table, A::UpdatedAt), Order::Desc)
            .order_by((A::Table, A::Id), Order::Desc),
    };
    q
}

/// [`page_statement`] as a subquery `p`, joined to each row's collections:
/// one row per (artifact, collection), or one with NULL collection columns
/// for an artifact in none, in page order. Columns: the page's eight, then
/// the collection name and its artifact count ([`CountMode::Query`]: the
/// collection id, counted apart). Bound values: [`page_params`]; the
/// catalogue prints the LIMIT inline instead (see [`inline_limit`]).
pub(crate) fn page_with_collections_statement(
    b: Backend,
    mode: CountMode,
    filter: &Filter,
    sort: ArtifactSort,
    after: Option<&After>,
) -> SelectStatement {
    use Artifacts as A;
    use CollectionMembers as M;
    use Collections as C;
    let page = Alias::new("p");
    let count = match mode {
        CountMode::Triggers => C::ArtifactCount,
        CountMode::Query => C::Id,
    };
    let mut rows = page_statement(b, filter, sort, after);
    // With a tag to match, the subquery selects only the sort keys, so the
    // listing index answers it alone (an index-only scan, migration 0007),
    // and the page's rows are read by primary key (`r`). Without one every
    // candidate is a page row: reading it at once is cheaper.
    let keys_only = !filter.tags.is_empty();
    let row = if keys_only {
        rows.clear_selects().columns([
            (A::Table, A::Id),
            match sort {
                ArtifactSort::Name => (A::Table, A::Name),
                ArtifactSort::RecentlyUpdated => (A::Table, A::UpdatedAt),
            },
        ]);
        Alias::new("r")
    } else {
        page.clone()
    };
    let mut q = Query::select();
    q.columns([
        (row.clone(), A::Id),
        (row.clone(), A::Type),
        (row.clone(), A::Name),
        (row.clone(), A::Description),
        (row.clone(), A::Source),
        (row.clone(), A::CreatedAt),
        (row.clone(), A::UpdatedAt),
        (row.clone(), A::TagNames),
    ])
    .columns([(C::Table, C::Name), (C::Table, count)])
    .from_subquery(rows, page.clone());
    if keys_only {
        q.join_as(
            JoinType::InnerJoin,
            A::Table,
            row,
            Expr::col((Alias::new("r"), A::Id)).equals((page.clone(), A::Id)),
        );
    }
    q.left_join(
        M::Table,
        Expr::col((M::Table, M::ArtifactId)).equals((page.clone(), A::Id)),
    )
    .left_join(
        C::Table,
        Expr::col((C::Table, C::Id)).equals((M::Table, M::CollectionId)),
    );
    match sort {
        ArtifactSort::Name => q
            .order_by((page.clone(), A::Name), Order::Asc)
            .order_by((page, A::Id), Order::Asc),
        ArtifactSort::RecentlyUpdated => q
            .order_by((page.clone(), A::UpdatedAt), Order::Desc)
            .order_by((page, A::Id), Order::Desc),
    };
    q
}

/// Replaces the last bound parameter of printed PostgreSQL SQL, the page's
/// `LIMIT $n`, by the number itself; `None` if the text has no such LIMIT.
///
/// Why: PostgreSQL plans a prepared statement once, generically, only when
/// the generic plan is about as cheap as a planned-per-value one; with a
/// bound LIMIT it assumes 10% of the rows come back, prices a hash join
/// over every membership, and so re-plans at each execution (0.3–1.5 ms of
/// planning per page here, more than the execution). With the number in the
/// text the generic plan is the nested loop over the page's rows. The text
/// then differs per page size, so the catalogue keys it by size as well
/// (a handful of sizes in practice).
pub(crate) fn inline_limit(sql: &str, params: usize, fetch: i64) -> Option<String> {
    let bound = format!("LIMIT ${params}");
    let at = sql.rfind(&bound)?;
    let after = &sql[at + bound.len()..];
    if after.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("{}LIMIT {fetch}{after}", &sql[..at]))
}

/// The bound values of [`page_statement`], in statement order; `fetch` is
/// the bound LIMIT where the backend binds one (`Backend::binds_limit`).
pub(crate) fn page_params(
    b: Backend,
    filter: &Filter,
    after: Option<&After>,
    fetch: i64,
) -> Vec<Value> {
    let mut out = Vec::with_capacity(8);
    filter.params(&mut out);
    match after {
        Some(After::Name { name, id }) => {
            out.push(Value::from(name.as_str()));
            out.push(Value::from(*id));
        }
        Some(After::Updated { updated_at, id }) => {
            out.push(Value::from(*updated_at));
            out.push(Value::from(*id));
        }
        None => {}
    }
    if b.binds_limit() {
        // i64, not sea-query's u64: PostgreSQL binds LIMIT as BIGINT.
        out.push(Value::from(fetch));
    }
    out
}

/// Facet statement 1: matching artifacts counted by type.
pub(crate) fn facet_types_statement(b: Backend, filter: &Filter) -> SelectStatement {
    use Artifacts as A;
    let mut q = Query::select();
    q.column((A::Table, A::Type))
        .expr(Func::count(Expr::col(Asterisk)))
        .from(A::Table);
    for c in filter.conditions(b) {
        q.and_where(c);
    }
    q.group_by_col((A::Table, A::Type))
        .order_by((A::Table, A::Type), Order::Asc);
    q
}

/// Facet statement 2: tags of the matching artifacts, counted.
pub(crate) fn facet_tags_statement(b: Backend, filter: &Filter) -> SelectStatement {
    use Artifacts as A;
    let mut q = Query::select();
    q.column((Tags::Table, Tags::Name))
        .expr(Func::count(Expr::col(Asterisk)))
        .from(ArtifactTags::Table)
        .inner_join(
            Tags::Table,
            Expr::col((Tags::Table, Tags::Id)).equals((ArtifactTags::Table, ArtifactTags::TagId)),
        );
    let conditions = filter.conditions(b);
    // Without a filter every link counts (links only exist for existing
    // artifacts): skipping the `IN (SELECT id FROM artifacts)` halves the
    // cost of the unfiltered facets, the most common ones.
    if !conditions.is_empty() {
        let mut matching = Query::select();
        matching.column((A::Table, A::Id)).from(A::Table);
        for c in conditions {
            matching.and_where(c);
        }
        q.and_where(
            Expr::col((ArtifactTags::Table, ArtifactTags::ArtifactId)).in_subquery(matching),
        );
    }
    q.group_by_columns([(Tags::Table, Tags::Id), (Tags::Table, Tags::Name)])
        .order_by((Tags::Table, Tags::Name), Order::Asc);
    q
}

/// The bound values of both facet statements.
pub(crate) fn facet_params(filter: &Filter) -> Vec<Value> {
    let mut out = Vec::new();
    filter.params(&mut out);
    out
}
