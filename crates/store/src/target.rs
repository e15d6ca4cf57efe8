//! Telling a PostgreSQL connection string from a SQLite file path, and
//! showing either without its password.

/// Whether `target` names a PostgreSQL database rather than a SQLite file:
/// a `postgres://` or `postgresql://` URL, or a libpq key-value string
/// (`host=… dbname=…`). The CLI uses it to pick the backend of
/// `--catalog`.
pub fn is_postgres_target(target: &str) -> bool {
    let t = target.trim_start();
    if t.starts_with("postgres://") || t.starts_with("postgresql://") {
        return true;
    }
    // Key-value form: every word is `key=value` and a connection key is
    // among them. A file path with `=` in it has no such shape.
    let words: Vec<&str> = t.split_whitespace().collect();
    !words.is_empty()
        && words.iter().all(|w| w.contains('='))
        && words.iter().any(|w| {
            ["host=", "hostaddr=", "dbname=", "user=", "port="]
                .iter()
                .any(|k| w.starts_with(k))
        })
}

/// A database target for messages: a connection string with its password
/// (`postgres://user:***@…`, `password=***`) replaced; a file path as is.
pub fn redact_password(target: &str) -> String {
    let mut out = target.to_owned();
    if let Some(scheme) = out.find("://") {
        let rest = scheme + 3;
        if let Some(at) = out[rest..].find('@').map(|i| i + rest)
            && let Some(colon) = out[rest..at].find(':').map(|i| i + rest)
        {
            out.replace_range(colon + 1..at, "***");
        }
    }
    if let Some(at) = out.find("password=") {
        let start = at + "password=".len();
        let end = out[start..]
            .find(char::is_whitespace)
            .map_or(out.len(), |i| i + start);
        out.replace_range(start..end, "***");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_password("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_password("host=h password=secret dbname=d"),
            "host=h password=*** dbname=d"
        );
        assert_eq!(redact_password("host=h dbname=d"), "host=h dbname=d");
        assert_eq!(redact_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_password("dir/catalog.db"), "dir/catalog.db");
    }

    #[test]
    fn postgres_targets_are_told_apart_from_file_paths() {
        for t in [
            "postgres://u@h/db",
            "postgresql://h:5432/db?sslmode=disable",
            "host=127.0.0.1 dbname=test",
            "  dbname=stencil user=me",
        ] {
            assert!(is_postgres_target(t), "{t}");
        }
        for t in [
            "catalog.db",
            "./.stencil/catalog.db",
            "dir/host=x.db",
            "a=b c.db",
            "",
            "postgres.db",
        ] {
            assert!(!is_postgres_target(t), "{t}");
        }
    }
}
