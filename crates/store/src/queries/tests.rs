//! Checks of every statement against the schema and its documented parameters and columns.

use sea_query::Value;

use super::*;
use crate::backend::Buildable;
use crate::model::ArtifactSort;

fn filters() -> Vec<Filter> {
    let mut out = Vec::new();
    for types in [
        vec![],
        vec!["skill".to_owned()],
        vec!["agent".into(), "skill".into()],
    ] {
        for tags in [vec![], vec!["a".to_owned()], vec!["a".into(), "b_c".into()]] {
            for collection in [None, Some("docs".to_owned())] {
                for search in [None, Some("50%_Off\\".to_owned())] {
                    out.push(Filter {
                        types: types.clone(),
                        tags: tags.clone(),
                        collection: collection.clone(),
                        search: search.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The hand-listed parameters must be exactly what sea-query collects
/// when it builds the same statement, or cached SQL would bind wrongly.
/// sea-query collects LIMIT as u64; the catalogue binds it as i64.
fn normalised(values: Vec<Value>) -> Vec<Value> {
    values
        .into_iter()
        .map(|v| match v {
            Value::BigUnsigned(Some(n)) => Value::BigInt(i64::try_from(n).ok()),
            v => v,
        })
        .collect()
}

#[test]
fn hand_listed_parameters_match_the_built_statement_for_every_shape() {
    for b in [Backend::Sqlite, Backend::Postgres] {
        hand_listed_parameters_match(b);
    }
}

fn hand_listed_parameters_match(b: Backend) {
    let afters = [
        None,
        Some(After::Name {
            name: "x".into(),
            id: 7,
        }),
        Some(After::Updated {
            updated_at: 99,
            id: 3,
        }),
    ];
    for f in filters() {
        for after in &afters {
            let sort = match after {
                Some(After::Updated { .. }) => ArtifactSort::RecentlyUpdated,
                _ => ArtifactSort::Name,
            };
            let (_, built) = page_statement(b, &f, sort, after.as_ref()).build_for(b);
            assert_eq!(
                normalised(built.0),
                page_params(b, &f, after.as_ref(), 0),
                "{b:?} {f:?} {after:?}"
            );
            let (_, built) =
                page_with_collections_statement(b, CountMode::Triggers, &f, sort, after.as_ref())
                    .build_for(b);
            let n = built.0.len();
            assert_eq!(
                normalised(built.0),
                page_params(b, &f, after.as_ref(), 0),
                "joined: {b:?} {f:?} {after:?}"
            );
            if b == Backend::Postgres {
                // The catalogue prints this LIMIT inline: it must be the
                // last parameter, and the only place `$n` occurs.
                let sql =
                    page_with_collections_statement(b, CountMode::Query, &f, sort, after.as_ref())
                        .build_for(b)
                        .0;
                let inlined = inline_limit(&sql, n, 51).expect("an inlinable LIMIT");
                assert!(inlined.contains("LIMIT 51)"), "{inlined}");
                assert!(!inlined.contains(&format!("${n}")), "{inlined}");
                assert!(
                    n < 2 || inlined.contains(&format!("${}", n - 1)),
                    "{inlined}"
                );
            }
        }
        let (_, built) = facet_types_statement(b, &f).build_for(b);
        assert_eq!(built.0, facet_params(&f), "{f:?}");
        let (_, built) = facet_tags_statement(b, &f).build_for(b);
        assert_eq!(built.0, facet_params(&f), "{f:?}");
    }
}

#[test]
fn equal_shapes_print_equal_sql() {
    for b in [Backend::Sqlite, Backend::Postgres] {
        equal_shapes_print_equal_sql_for(b);
    }
}

fn equal_shapes_print_equal_sql_for(b: Backend) {
    let one = Filter {
        types: vec!["skill".into()],
        tags: vec!["x".into()],
        collection: Some("c1".into()),
        search: Some("foo".into()),
    };
    let two = Filter {
        types: vec!["agent".into()],
        tags: vec!["y".into()],
        collection: Some("c2".into()),
        search: Some("bar".into()),
    };
    assert_eq!(
        one.shape(ArtifactSort::Name, false),
        two.shape(ArtifactSort::Name, false)
    );
    let sql = |f: &Filter| {
        page_statement(b, f, ArtifactSort::Name, None)
            .build_for(b)
            .0
    };
    assert_eq!(sql(&one), sql(&two));
}

/// A fixed statement with the parameters and result columns listed in its
/// field's doc comment: the parameter count (plus the bound LIMIT where the
/// backend binds one) and each result column's name, `*` for a computed one.
struct Documented<'q> {
    sql: &'q str,
    params: usize,
    columns: &'static [&'static str],
}

/// The file columns every statement with files ends with ([`FileColumns`]).
const FILES: [&str; 5] = ["path", "executable", "verbatim", "hash", "content"];

fn documented(q: &Queries, b: Backend) -> Vec<Documented<'_>> {
    let limit = usize::from(b.binds_limit());
    let (a, c, t, l, m) = (
        &q.artifacts,
        &q.collections,
        &q.templates,
        &q.listing,
        &q.maintenance,
    );
    const NONE: &[&str] = &[];
    const ID: &[&str] = &["id"];
    const COLLECTION_PAGE: &[&str] = &["name", "description", "*", "*"];
    let id_on_pg: &'static [&'static str] = match b {
        Backend::Sqlite => NONE,
        Backend::Postgres => ID,
    };
    // Extended with FILES where a statement ends with the file columns.
    const FULL: [&str; 12] = [
        "id",
        "description",
        "source",
        "created_at",
        "updated_at",
        "digest",
        "*",
        FILES[0],
        FILES[1],
        FILES[2],
        FILES[3],
        FILES[4],
    ];
    const FULL_OUTLINE: [&str; 12] = [
        "id",
        "description",
        "source",
        "created_at",
        "updated_at",
        "digest",
        "*",
        FILES[0],
        FILES[1],
        FILES[2],
        FILES[3],
        "size",
    ];
    const ENTITIES: [&str; 10] = [
        "deploy_order",
        "required",
        "type",
        "name",
        "description",
        FILES[0],
        FILES[1],
        FILES[2],
        FILES[3],
        FILES[4],
    ];
    const MEMBERS: [&str; 9] = [
        "id",
        "type",
        "name",
        "description",
        FILES[0],
        FILES[1],
        FILES[2],
        FILES[3],
        FILES[4],
    ];
    fn d<'q>(sql: &'q str, params: usize, columns: &'static [&'static str]) -> Documented<'q> {
        Documented {
            sql,
            params,
            columns,
        }
    }
    vec![
        d(&a.id, 2, ID),
        d(&a.head, 2, &["id", "digest", "description", "source"]),
        d(&a.insert, 8, id_on_pg),
        d(&a.update, 6, NONE),
        d(&a.set_tag_names, 2, NONE),
        d(&a.delete, 1, NONE),
        d(&a.full, 2, &FULL),
        d(&a.full_outline, 2, &FULL_OUTLINE),
        d(&a.versions, 2, &["version", "digest", "created_at"]),
        d(&a.templates_using, 1, &["name"]),
        d(&a.blob_insert, 3, NONE),
        d(&a.files_delete, 1, NONE),
        d(&a.file_insert, 5, NONE),
        d(&a.version_max, 1, &["*"]),
        d(&a.version_insert, 4, NONE),
        d(&a.tags_of, 1, &["name"]),
        d(&a.untag_all, 1, NONE),
        d(&a.tag_find, 1, ID),
        d(&a.tag_insert, 1, id_on_pg),
        d(&a.tag, 2, NONE),
        d(&a.untag, 2, NONE),
        d(&c.id, 1, ID),
        d(&c.insert, 3, NONE),
        d(&c.rename, 2, NONE),
        d(&c.delete, 1, NONE),
        d(&c.member_insert, 2, NONE),
        d(&c.member_delete, 2, NONE),
        d(&c.first_page, limit, COLLECTION_PAGE),
        d(&c.page_after, 1 + limit, COLLECTION_PAGE),
        d(
            &c.row,
            1,
            &[
                "id",
                "name",
                "description",
                "*",
                "*",
                "version",
                "author",
                "license",
                "homepage",
            ],
        ),
        d(&c.set_info, 6, NONE),
        d(&c.groups_of, 1, &["name", "position", "*"]),
        d(&c.count, 1, &["*"]),
        d(&c.group_id, 2, ID),
        d(&c.group_insert, 3, NONE),
        d(&c.group_delete, 1, NONE),
        d(&c.group_member_insert, 2, NONE),
        d(&c.group_member_delete, 2, NONE),
        d(&t.id, 1, ID),
        d(&t.insert, 6, id_on_pg),
        d(&t.update, 5, NONE),
        d(&t.delete, 1, NONE),
        d(&t.entities_delete, 1, NONE),
        d(&t.entity_insert, 4, NONE),
        d(&t.variables_delete, 1, NONE),
        d(&t.variable_insert, 6, NONE),
        d(
            &t.head,
            1,
            &[
                "id",
                "name",
                "description",
                "name",
                "follows_collection",
                "collection_id",
                "name",
                "required",
                "default_value",
                "description",
            ],
        ),
        d(&t.entities, 1, &ENTITIES),
        d(&t.members, 1, &MEMBERS),
        d(&t.following, 1, &["name"]),
        d(
            &t.list,
            0,
            &["name", "description", "name", "follows_collection", "*"],
        ),
        d(&l.tag_counts, 0, &["name", "*"]),
        d(&l.page_collections, 1, &["artifact_id", "name", "*"]),
        d(&l.page_counts, 1, &["collection_id", "*"]),
        d(
            &m.verify_collections,
            0,
            &["name", "artifact_count", "*", "group_count", "*"],
        ),
        d(
            &m.verify_groups,
            0,
            &["name", "name", "artifact_count", "*"],
        ),
        d(
            &m.verify_tag_names,
            0,
            &["id", "type", "name", "tag_names", "name"],
        ),
        d(&m.recount_collections, 0, NONE),
        d(&m.recount_groups, 0, NONE),
    ]
}

/// The named positions the decoders read agree with the statements.
#[test]
fn file_columns_sit_where_the_decoders_read_them() {
    for (at, name) in [
        (FileColumns::PATH, "path"),
        (FileColumns::EXECUTABLE, "executable"),
        (FileColumns::VERBATIM, "verbatim"),
        (FileColumns::HASH, "hash"),
        (FileColumns::CONTENT, "content"),
    ] {
        assert_eq!(FILES[at], name);
    }
    assert_eq!(FULL_FILES + FILES.len(), 12);
    assert_eq!(ENTITY_FILES + FILES.len(), 10);
}

/// Checks one prepared statement's shape against its documentation.
fn check(doc: &Documented<'_>, params: usize, columns: &[String]) {
    assert_eq!(params, doc.params, "parameters of {}", doc.sql);
    assert_eq!(
        columns.len(),
        doc.columns.len(),
        "columns of {}: {columns:?}",
        doc.sql
    );
    for (got, want) in columns.iter().zip(doc.columns) {
        if *want != "*" {
            assert_eq!(got, want, "columns of {}: {columns:?}", doc.sql);
        }
    }
}

#[test]
fn all_fixed_statements_prepare_with_the_documented_parameters_and_columns() {
    let mut conn = rusqlite::Connection::open_in_memory().unwrap();
    rusqlite::vtab::array::load_module(&conn).unwrap();
    let tx = conn.transaction().unwrap();
    for m in Backend::Sqlite.migrations() {
        tx.execute_batch(m).unwrap();
    }
    let q = Queries::new(Backend::Sqlite, CountMode::Triggers);
    for doc in documented(&q, Backend::Sqlite) {
        match tx.prepare(doc.sql) {
            Ok(stmt) => {
                let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
                check(&doc, stmt.parameter_count(), &names);
            }
            Err(e) => panic!("{}: {e}", doc.sql),
        }
    }
}

/// The same on PostgreSQL, in both count modes, inside a transaction
/// that is rolled back (needs `STENCIL_TEST_POSTGRES`; skipped with a
/// notice without it).
#[cfg(feature = "postgres")]
#[test]
fn all_fixed_statements_prepare_on_postgres_with_the_documented_parameters_and_columns() {
    let Some(target) = crate::pg_test_target::pg_test_target("PostgreSQL statement check") else {
        return;
    };
    let mut client = postgres::Client::connect(&target, postgres::NoTls).unwrap();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(
        "CREATE SCHEMA stencil_unit_statements; SET LOCAL search_path TO stencil_unit_statements",
    )
    .unwrap();
    for m in Backend::Postgres.migrations() {
        tx.batch_execute(m).unwrap();
    }
    for mode in [CountMode::Triggers, CountMode::Query] {
        let q = Queries::new(Backend::Postgres, mode);
        for doc in documented(&q, Backend::Postgres) {
            match tx.prepare(doc.sql) {
                Ok(stmt) => {
                    let names: Vec<String> =
                        stmt.columns().iter().map(|c| c.name().to_owned()).collect();
                    check(&doc, stmt.params().len(), &names);
                }
                Err(e) => panic!("{}: {e}", doc.sql),
            }
        }
    }
    let f = Filter {
        types: vec!["skill".into()],
        tags: vec!["a".into()],
        collection: Some("c".into()),
        search: Some("x".into()),
    };
    let b = Backend::Postgres;
    for sql in [
        page_with_collections_statement(b, CountMode::Query, &f, ArtifactSort::Name, None)
            .build_for(b)
            .0,
        page_statement(b, &f, ArtifactSort::Name, None)
            .build_for(b)
            .0,
        facet_types_statement(b, &f).build_for(b).0,
        facet_tags_statement(b, &f).build_for(b).0,
    ] {
        if let Err(e) = tx.prepare(&sql) {
            panic!("{sql}: {e}");
        }
    }
    tx.rollback().unwrap();
}
