//! The PostgreSQL server of this crate's unit tests: `STENCIL_TEST_POSTGRES`,
//! else the documented local default when a server answers there. Without
//! one the test skips with a notice the harness does not capture (written
//! straight to stderr), or fails under `STENCIL_REQUIRE_POSTGRES=1`.
//! (The integration tests have the same rule in `tests/common`.)

use std::io::Write as _;
use std::str::FromStr as _;
use std::sync::OnceLock;
use std::time::Duration;

/// The documented local default (README, `.ci/run`).
const DEFAULT: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// The server to test against, or `None` after the notice.
pub(crate) fn pg_test_target(test: &str) -> Option<String> {
    static FOUND: OnceLock<Result<String, String>> = OnceLock::new();
    let found =
        FOUND.get_or_init(|| match std::env::var("STENCIL_TEST_POSTGRES") {
            Ok(s) if !s.trim().is_empty() => Ok(s),
            _ => {
                let mut config = postgres::Config::from_str(DEFAULT).map_err(|e| e.to_string())?;
                config.connect_timeout(Duration::from_secs(2));
                config.connect(postgres::NoTls).map(|_| DEFAULT.to_string()).map_err(|e| {
                format!("STENCIL_TEST_POSTGRES is unset and no server answers at `{DEFAULT}` ({e})")
            })
            }
        });
    match found {
        Ok(target) => Some(target.clone()),
        Err(why) => {
            assert!(
                std::env::var("STENCIL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "STENCIL_REQUIRE_POSTGRES=1 but `{test}` cannot run: {why}"
            );
            let _ = writeln!(std::io::stderr(), "NOTICE: `{test}` SKIPPED: {why}");
            None
        }
    }
}
