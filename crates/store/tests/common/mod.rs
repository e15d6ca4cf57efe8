//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use stencil_store::{ArtifactKey, Catalog, NewArtifact, Stats};

pub const TYPES: [&str; 4] = ["skill", "command", "agent", "rule_file"];

pub fn key(kind: &str, name: &str) -> ArtifactKey {
    ArtifactKey::new(kind, name).expect("test keys are valid")
}

/// An artifact with one file whose content depends on the name.
pub fn artifact(kind: &str, name: &str) -> NewArtifact {
    NewArtifact::new(key(kind, name))
        .description(format!("the {name} {kind}"))
        .file(
            format!(".claude/{kind}s/{name}.md"),
            format!("# {name}\n{{{{PROJECT}}}}\n"),
        )
}

/// Statements (data, not transaction control) run by `f`.
pub fn cost<T>(catalog: &Catalog, f: impl FnOnce() -> T) -> (T, u64) {
    let before: Stats = catalog.stats();
    let out = f();
    (out, catalog.stats().statements - before.statements)
}

/// `n` artifacts of mixed types and tags, each in two of `collections`
/// collections named `c000`, `c001`, ….
pub fn seed(catalog: &Catalog, n: usize, collections: usize) -> Vec<ArtifactKey> {
    let items: Vec<NewArtifact> = (0..n)
        .map(|i| {
            let kind = TYPES[i % TYPES.len()];
            let mut a = artifact(kind, &format!("a{i:05}"));
            a.tags.push(format!("t{}", i % 5));
            if i % 3 == 0 {
                a.tags.push("common".into());
            }
            a
        })
        .collect();
    let keys: Vec<ArtifactKey> = items.iter().map(|a| a.key.clone()).collect();
    catalog.import(items).expect("seed import");
    for c in 0..collections {
        catalog
            .create_collection(&format!("c{c:03}"), "seeded")
            .expect("seed collection");
    }
    if collections > 0 {
        for (i, k) in keys.iter().enumerate() {
            for c in [i % collections, (i + 1) % collections] {
                catalog
                    .add_to_collection(&format!("c{c:03}"), std::slice::from_ref(k))
                    .expect("seed membership");
            }
        }
    }
    keys
}

/// The environment variable holding the PostgreSQL connection string of the
/// tests (CI: `host=127.0.0.1 port=5432 user=postgres dbname=test`).
pub const PG_ENV: &str = "STENCIL_TEST_POSTGRES";

/// Direct access to a test catalogue's database, behind the catalogue's
/// back: the `GROUP BY` oracle of the count tests and the tampering of the
/// drift tests. The SQL given must be valid on both backends.
pub enum Oracle {
    Sqlite(rusqlite::Connection),
    #[cfg(feature = "postgres")]
    Postgres(std::cell::RefCell<postgres::Client>),
}

impl Oracle {
    /// Rows of (text, count).
    pub fn pairs(&self, sql: &str) -> std::collections::BTreeMap<String, u64> {
        match self {
            Oracle::Sqlite(c) => {
                let mut stmt = c.prepare(sql).unwrap();
                stmt.query_map([], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
            }
            #[cfg(feature = "postgres")]
            Oracle::Postgres(c) => c
                .borrow_mut()
                .query(sql, &[])
                .unwrap()
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
                .collect(),
        }
    }

    /// Rows of (text, text).
    pub fn text_pairs(&self, sql: &str) -> Vec<(String, String)> {
        match self {
            Oracle::Sqlite(c) => {
                let mut stmt = c.prepare(sql).unwrap();
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap()
            }
            #[cfg(feature = "postgres")]
            Oracle::Postgres(c) => c
                .borrow_mut()
                .query(sql, &[])
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect(),
        }
    }

    /// The single integer a query returns.
    pub fn scalar(&self, sql: &str) -> i64 {
        match self {
            Oracle::Sqlite(c) => c.query_row(sql, [], |r| r.get(0)).unwrap(),
            #[cfg(feature = "postgres")]
            Oracle::Postgres(c) => c.borrow_mut().query_one(sql, &[]).unwrap().get(0),
        }
    }

    /// Runs statements that return no rows; the database's error as text.
    pub fn try_execute(&self, sql: &str) -> Result<(), String> {
        match self {
            Oracle::Sqlite(c) => c.execute_batch(sql).map_err(|e| e.to_string()),
            #[cfg(feature = "postgres")]
            Oracle::Postgres(c) => c.borrow_mut().batch_execute(sql).map_err(|e| e.to_string()),
        }
    }

    /// Runs statements that return no rows.
    pub fn execute(&self, sql: &str) {
        match self {
            Oracle::Sqlite(c) => c.execute_batch(sql).unwrap(),
            #[cfg(feature = "postgres")]
            Oracle::Postgres(c) => c.borrow_mut().batch_execute(sql).unwrap(),
        }
    }
}

/// A catalogue of one backend, with its oracle. Dropping it removes the
/// database (SQLite: a temporary directory; PostgreSQL: a schema).
pub struct TestCatalog {
    /// `sqlite`, `postgres` or `postgres/query` (count mode), for messages.
    pub name: &'static str,
    pub catalog: stencil_store::Catalog,
    pub oracle: Oracle,
    _place: Place,
}

enum Place {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    #[cfg(feature = "postgres")]
    Postgres {
        admin: Box<postgres::Client>,
        schema: String,
    },
}

impl Drop for Place {
    fn drop(&mut self) {
        #[cfg(feature = "postgres")]
        if let Place::Postgres { admin, schema } = self {
            // Best effort: a failure leaves a schema named after the test
            // process behind, never a wrong result.
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Which PostgreSQL count modes [`catalogs`] adds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PgModes {
    /// The default, trigger-kept counts.
    Triggers,
    /// Also a catalogue in `CountMode::Query`.
    Both,
}

/// Where the tests look for a server when [`PG_ENV`] is unset: the
/// documented local default (README, `.ci/run`).
pub const PG_DEFAULT: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// Set to `1` (as `.ci/run` does), a PostgreSQL test without a server fails
/// instead of skipping.
pub const PG_REQUIRE_ENV: &str = "STENCIL_REQUIRE_POSTGRES";

/// The PostgreSQL connection string of the tests: [`PG_ENV`], else
/// [`PG_DEFAULT`] when a server answers there. Without either the
/// PostgreSQL variant is skipped (the SQLite one still runs) with a notice
/// written straight to stderr, which the test harness does not capture, so
/// `cargo test` shows it; under [`PG_REQUIRE_ENV`]`=1` it panics instead.
pub fn pg_target(test: &str) -> Option<String> {
    use std::io::Write as _;
    static FOUND: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    let found = FOUND.get_or_init(|| match std::env::var(PG_ENV) {
        Ok(s) if !s.trim().is_empty() => Ok(s),
        _ => pg_default_answers().map(|()| PG_DEFAULT.to_string()),
    });
    match found {
        Ok(target) => Some(target.clone()),
        Err(why) => {
            assert!(
                std::env::var(PG_REQUIRE_ENV).as_deref() != Ok("1"),
                "{PG_REQUIRE_ENV}=1 but the PostgreSQL variant of `{test}` cannot run: {why}"
            );
            // Once per process: proptest bodies ask per case.
            static TOLD: std::sync::Once = std::sync::Once::new();
            TOLD.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTICE: PostgreSQL test variants of this binary are SKIPPED: {why} \
                     (set {PG_ENV}, or start a server at `{PG_DEFAULT}`)"
                );
            });
            None
        }
    }
}

/// Whether a server answers at [`PG_DEFAULT`] (with a short timeout).
#[cfg(feature = "postgres")]
fn pg_default_answers() -> Result<(), String> {
    use std::str::FromStr as _;
    let mut config = postgres::Config::from_str(PG_DEFAULT).map_err(|e| e.to_string())?;
    config.connect_timeout(std::time::Duration::from_secs(2));
    config
        .connect(postgres::NoTls)
        .map(drop)
        .map_err(|e| format!("{PG_ENV} is unset and no server answers at `{PG_DEFAULT}` ({e})"))
}

#[cfg(not(feature = "postgres"))]
fn pg_default_answers() -> Result<(), String> {
    Err("stencil-store was built without the `postgres` feature".to_string())
}

/// A fresh, empty schema for one PostgreSQL test catalogue.
#[cfg(feature = "postgres")]
pub fn pg_schema(target: &str) -> (postgres::Client, String) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let schema = format!(
        "stencil_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = postgres::Client::connect(target, postgres::NoTls)
        .unwrap_or_else(|e| panic!("{PG_ENV}={target}: cannot connect: {e}"));
    admin
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .unwrap();
    (admin, schema)
}

/// One catalogue per available backend, each opened from `builder`: a
/// SQLite file, and PostgreSQL (in its own schema) when
/// `STENCIL_TEST_POSTGRES` is set — the same test body then runs against
/// both. Without the variable, or without the `postgres` feature, a notice
/// says the PostgreSQL variant is skipped.
pub fn catalogs(
    test: &str,
    modes: PgModes,
    builder: impl Fn() -> stencil_store::CatalogBuilder,
) -> Vec<TestCatalog> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.db");
    let catalog = builder().open(&path).unwrap();
    let oracle = Oracle::Sqlite(rusqlite::Connection::open(&path).unwrap());
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
    let mut out = vec![TestCatalog {
        name: "sqlite",
        catalog,
        oracle,
        _place: Place::Sqlite(dir),
    }];
    #[cfg(feature = "postgres")]
    if let Some(target) = pg_target(test) {
        let mut variants = vec![("postgres", stencil_store::CountMode::Triggers)];
        if modes == PgModes::Both {
            variants.push(("postgres/query", stencil_store::CountMode::Query));
        }
        for (name, mode) in variants {
            let (admin, schema) = pg_schema(&target);
            let catalog = builder()
                .postgres_schema(&schema)
                .count_mode(mode)
                .open_postgres(&target)
                .unwrap_or_else(|e| panic!("opening the PostgreSQL catalogue: {e}"));
            let mut client = postgres::Client::connect(&target, postgres::NoTls).unwrap();
            client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .unwrap();
            out.push(TestCatalog {
                name,
                catalog,
                oracle: Oracle::Postgres(std::cell::RefCell::new(client)),
                _place: Place::Postgres {
                    admin: Box::new(admin),
                    schema,
                },
            });
        }
    }
    #[cfg(not(feature = "postgres"))]
    {
        // Says (or, when required, fails) that the variant is skipped.
        let _ = (modes, pg_target(test));
    }
    out
}
