//! A binary built without the `postgres` feature (the macOS cross-builds)
//! refuses a PostgreSQL catalogue with one clear error line, rather than
//! trying to open the connection string as a file or connecting anyway.

use crate::common::{Env, TestResult};

#[test]
fn a_postgres_catalogue_is_refused_by_a_build_without_postgres() -> TestResult {
    let env = Env::new();
    for catalog in [
        "postgres://u:hunter2@127.0.0.1:1/d",
        "host=127.0.0.1 port=1 user=u password=hunter2 dbname=d",
    ] {
        let run = env.run_bare(&["--catalog", catalog, "artifact", "list"], &[]);
        let run = run.fails_with(&["built without PostgreSQL support", "`postgres`"]);
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    }
    // Nothing was created in the working directory under the string's name.
    let entries: Vec<_> = std::fs::read_dir(env.dir.path())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().contains("127.0.0.1"))
        .collect();
    assert!(entries.is_empty(), "{entries:?}");
    Ok(())
}
