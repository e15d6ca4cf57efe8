//! Issue 11 §6: with `--json`, a failing command prints exactly one JSON
//! object on stdout, `{"error": {"kind", "message", ...}}`, besides the
//! human line on stderr; the exit code stays 1 (2 for usage errors). One
//! error path of every command.

use serde_json::Value;

use crate::common::{Env, Run, TestResult};

/// Imports the small tree into collection `all` and makes template `svc`
/// of it, plus template `gen` whose file has an unknown `{{NS}}`.
fn setup(env: &Env) -> TestResult {
    env.small_tree();
    env.write("src/.claude/skills/gen/gen.py", "print(f\"{{{NS}}}\")\n");
    env.import_as_template_svc()?;
    env.run(&["template", "create", "gen", "--artifact", "skill:gen"])
        .ok();
    Ok(())
}

/// Checks the run failed with `code`, stdout is one JSON object holding
/// only `error`, of this `kind`, whose message is the stderr line; returns
/// the `error` object.
fn json_error(run: &Run, code: i32, kind: &str) -> Value {
    assert_eq!(
        run.code,
        Some(code),
        "--- stdout\n{}\n--- stderr\n{}",
        run.stdout,
        run.stderr
    );
    let doc = run.json();
    let object = doc.as_object().expect("stdout is a JSON object");
    assert_eq!(
        object.keys().collect::<Vec<_>>(),
        ["error"],
        "{}",
        run.stdout
    );
    let error = &doc["error"];
    assert_eq!(error["kind"], kind, "{}", run.stdout);
    let first = run.stderr.lines().next().unwrap_or_default();
    let line = first
        .strip_prefix("error: ")
        .expect("stderr starts with error:");
    assert_eq!(error["message"], line, "{}", run.stdout);
    if code == 1 {
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    error.clone()
}

#[test]
fn every_command_reports_its_error_as_one_json_object() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    let file = env.write("a-file", "x");
    let file = file.to_str().ok_or("path")?;
    let nested = format!("{file}/catalog.db");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["import", file], "import"),
        (vec!["artifact", "list", "--limit", "0"], "invalid"),
        (vec!["artifact", "show", "skill:nope"], "not_found"),
        (
            vec!["artifact", "verbatim", "skill:review", "nope.md"],
            "failed",
        ),
        (vec!["collection", "create", "all"], "already_exists"),
        (vec!["collection", "add", "all", "skill:zz"], "failed"),
        (
            vec!["collection", "remove", "nope", "skill:review"],
            "not_found",
        ),
        (vec!["collection", "list", "--after", "garbage"], "invalid"),
        (vec!["tag", "add", "skill:nope", "t"], "not_found"),
        (vec!["tag", "remove", "skill:nope", "t"], "not_found"),
        (vec!["template", "create", "t3"], "failed"),
        (vec!["template", "show", "nope"], "not_found"),
        (vec!["render", "missing.txt"], "io"),
        (
            vec!["deploy", "nope", "app", "--var", "PROJECT_NAME=x"],
            "not_found",
        ),
        (vec!["recover", file], "deploy"),
        (vec!["demo", file], "deploy"),
    ];
    for (args, kind) in cases {
        // `--json` before and after the command name alike.
        for json_first in [true, false] {
            let mut argv = args.clone();
            if json_first {
                argv.insert(0, "--json");
            } else {
                argv.push("--json");
            }
            json_error(&env.run(&argv), 1, kind);
        }
    }
    // `init` where the catalogue's directory cannot be made.
    let run = env.run_bare(&["--json", "--catalog", &nested, "init"], &[]);
    json_error(&run, 1, "io");
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn reads_without_a_catalogue_and_usage_errors_are_json_too() -> TestResult {
    let env = Env::new();
    json_error(&env.run(&["--json", "template", "list"]), 1, "failed");
    assert!(!env.catalog.exists());
    for args in [
        vec![
            "--json",
            "deploy",
            "svc",
            "app",
            "--overwrite",
            "--fail-existing",
        ],
        vec!["--json", "deploy", "svc", "app", "--var", "NOVALUE"],
        vec!["--json", "no-such-command"],
        vec!["--json"],
        vec!["artifact", "list", "--json", "--limit", "x"],
    ] {
        json_error(&env.run(&args), 2, "usage");
    }
    // Without --json, stdout stays empty; `--json` after `--` is not the flag.
    let run = env.run(&["no-such-command"]).expect_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let run = env.run(&["render", "--", "--json"]).expect_code(1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // Help is not an error.
    let run = env.run(&["--json", "--help"]).ok();
    assert!(run.stdout.contains("Usage"), "{}", run.stdout);
    Ok(())
}

#[test]
fn render_and_deploy_errors_carry_their_details() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    let error = json_error(
        &env.run(&["--json", "deploy", "gen", "app", "--var", "PROJECT_NAME=x"]),
        1,
        "unknown_placeholder",
    );
    assert_eq!(error["file"], ".claude/skills/gen/gen.py");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(1), Some(10))
    );
    assert_eq!(error["placeholder"], "NS");
    assert_eq!(error["artifact"], "skill:gen");
    assert_eq!(error["stored_path"], ".claude/skills/gen/gen.py");

    let error = json_error(
        &env.run(&["--json", "deploy", "svc", "app"]),
        1,
        "variables",
    );
    assert_eq!(error["missing"], serde_json::json!(["PROJECT_NAME"]));
    let error = json_error(
        &env.run(&[
            "--json",
            "deploy",
            "svc",
            "app",
            "--var",
            "PROJECT_NAME=x",
            "--only",
            "skill:zz",
        ]),
        1,
        "selection",
    );
    assert_eq!(error["unknown_entities"], serde_json::json!(["skill:zz"]));

    let input = env.write("in.txt", "a {{X}}\n");
    let error = json_error(
        &env.run(&["--json", "render", input.to_str().ok_or("path")?]),
        1,
        "unknown_placeholder",
    );
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(1), Some(3))
    );
    let error = json_error(
        &env.run(&[
            "--json",
            "import",
            env.path("src").to_str().ok_or("path")?,
            "--verbatim",
            "a{",
        ]),
        1,
        "import",
    );
    assert_eq!(error["glob"], "a{");
    assert!(!env.path("app").exists());
    Ok(())
}
