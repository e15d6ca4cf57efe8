//! The CLI against a PostgreSQL catalogue: `--catalog` given a connection
//! string opens the PostgreSQL backend. The server is
//! `STENCIL_TEST_POSTGRES`, else the documented local default when one
//! answers there; without one the test is skipped with a notice `cargo
//! test` shows, or fails under `STENCIL_REQUIRE_POSTGRES=1`.

use crate::common::{Env, TestResult};

/// The documented local default (README, `.ci/run`).
const PG_DEFAULT: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// The server to test against, or `None` after a notice written straight
/// to stderr (the harness captures only `eprintln!`, so `cargo test` shows
/// it); panics under `STENCIL_REQUIRE_POSTGRES=1` instead of skipping.
fn pg_target() -> Option<String> {
    use std::io::Write as _;
    use std::str::FromStr as _;
    let why = match std::env::var("STENCIL_TEST_POSTGRES") {
        Ok(s) if !s.trim().is_empty() => return Some(s),
        _ => {
            let mut config = postgres::Config::from_str(PG_DEFAULT).ok()?;
            config.connect_timeout(std::time::Duration::from_secs(2));
            match config.connect(postgres::NoTls) {
                Ok(_) => return Some(PG_DEFAULT.to_string()),
                Err(e) => format!(
                    "STENCIL_TEST_POSTGRES is unset and no server answers at `{PG_DEFAULT}` ({e})"
                ),
            }
        }
    };
    assert!(
        std::env::var("STENCIL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
        "STENCIL_REQUIRE_POSTGRES=1 but the PostgreSQL CLI test cannot run: {why}"
    );
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: the PostgreSQL CLI test is SKIPPED: {why}"
    );
    None
}

/// A fresh schema on the test server, dropped again on drop.
struct Schema {
    admin: postgres::Client,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// The test server's connection string, pointed at `schema`.
fn in_schema(target: &str, schema: &str) -> String {
    if target.contains("://") {
        let sep = if target.contains('?') { '&' } else { '?' };
        format!("{target}{sep}options=-csearch_path%3D{schema}")
    } else {
        format!("{target} options=-csearch_path={schema}")
    }
}

#[test]
fn the_cli_imports_lists_and_counts_in_a_postgres_catalogue() -> TestResult {
    let Some(target) = pg_target() else {
        return Ok(());
    };
    let name = format!("stencil_cli_{}", std::process::id());
    let mut admin = postgres::Client::connect(&target, postgres::NoTls)?;
    admin.batch_execute(&format!("CREATE SCHEMA {name}"))?;
    let schema = Schema { admin, name };
    let catalog = in_schema(&target, &schema.name);

    let env = Env::new();
    let src = env.small_tree();
    let run = |args: &[&str]| {
        let mut all = vec!["--catalog", catalog.as_str()];
        all.extend_from_slice(args);
        env.run_bare(&all, &[])
    };
    run(&["init"]).ok();
    run(&[
        "import",
        src.to_str().ok_or("path")?,
        "--collection",
        "base",
    ])
    .ok();
    let j = run(&["--json", "artifact", "list"]).ok().json();
    let items = j["items"].as_array().ok_or("items")?;
    assert_eq!(items.len(), 5, "{j}");
    let j = run(&["--json", "collection", "list"]).ok().json();
    assert!(j.to_string().contains("\"base\""), "{j}");
    assert!(
        !env.path(&catalog).exists(),
        "no file was created for the connection string"
    );

    // The rows are in the schema, not in a file.
    let mut schema = schema;
    let n: i64 = schema
        .admin
        .query_one(
            &format!("SELECT count(*) FROM {}.artifacts", schema.name),
            &[],
        )?
        .get(0);
    assert_eq!(n, 5);
    Ok(())
}

#[test]
fn an_unreachable_server_is_one_error_line_without_the_password() -> TestResult {
    let env = Env::new();
    // Port 1 on loopback: nothing listens there.
    let run = env.run_bare(
        &[
            "--catalog",
            "host=127.0.0.1 port=1 user=u password=hunter2 dbname=d connect_timeout=2",
            "artifact",
            "list",
        ],
        &[],
    );
    let run = run.fails_with(&["PostgreSQL"]);
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    Ok(())
}
