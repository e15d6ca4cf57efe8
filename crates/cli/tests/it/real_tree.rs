//! Issue 8 through the CLI: a realistic tree with scripts, HTML, JS,
//! workflows, binary data, CRLF, executables and a symlink.
// Unix only: the fixture needs permission bits and a symbolic link,
// which Windows (and Wine) cannot give it.
#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use crate::common::{Env, TestResult, files_under};
use serde_json::{Value, json};

const SKILL: &str = ".claude/skills/report";

/// Builds `src/` with the fixture files plus the generated ones; returns
/// `(path inside the tree, content, executable)` for every regular file.
fn real_tree(env: &Env) -> Vec<(String, Vec<u8>, bool)> {
    // The workspace's one fixture tree (shared with the facade's tests).
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/real-tree")
        .join(SKILL);
    let read = |name: &str| fs::read(fixtures.join(name)).expect("fixture");
    let mut binary = Vec::new();
    for i in 0..4096u32 {
        binary.push((i.wrapping_mul(2654435761) >> 24) as u8);
    }
    binary[10] = 0;
    binary[2000] = 0;
    let files: Vec<(String, Vec<u8>, bool)> = vec![
        (
            format!("{SKILL}/SKILL.md"),
            b"---\ndescription: Build a report page\n---\n# Report for {{PROJECT_NAME}}\n".to_vec(),
            false,
        ),
        (
            format!("{SKILL}/scripts/gen.py"),
            read("scripts/gen.py"),
            true,
        ),
        (
            format!("{SKILL}/scripts/run.sh"),
            b"#!/bin/sh\necho ran-ok\n".to_vec(),
            true,
        ),
        (
            format!("{SKILL}/templates/page.html"),
            read("templates/page.html"),
            false,
        ),
        (
            format!("{SKILL}/assets/app.js"),
            read("assets/app.js"),
            false,
        ),
        (format!("{SKILL}/assets/logo.bin"), binary, false),
        (
            format!("{SKILL}/ci/release.yml"),
            read("ci/release.yml"),
            false,
        ),
        (
            format!("{SKILL}/notes-crlf.md"),
            b"line one\r\nline two\r\n".to_vec(),
            false,
        ),
        (
            ".claude/rules/no-newline.md".to_string(),
            b"no trailing newline, and invalid UTF-8: \xff\xfe".to_vec(),
            false,
        ),
    ];
    for (path, content, exec) in &files {
        let p = env.write(&format!("src/{path}"), content);
        let mode = if *exec { 0o755 } else { 0o644 };
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).expect("chmod");
    }
    env.write("outside-secret.txt", "must never be imported\n");
    symlink(
        env.path("outside-secret.txt"),
        env.path(&format!("src/{SKILL}/leak.txt")),
    )
    .expect("symlink");
    files
}

fn import(env: &Env, extra: &[&str]) -> Value {
    let src = env.path("src");
    let mut args = vec!["--json", "import", src.to_str().expect("utf-8 path")];
    args.extend(extra);
    args.extend(["--collection", "real"]);
    env.run(&args).ok().json()
}

fn template(env: &Env) {
    env.run(&["template", "create", "real", "--collection", "real"])
        .ok();
}

/// Every `{{NAME}}` occurrence of `names` in `content`, as the renderer
/// reports them: 1-based line and column of the placeholder's `{{`.
fn occurrences(file: &str, content: &[u8], names: &[&str]) -> Vec<Value> {
    let text = String::from_utf8_lossy(content);
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut hits = Vec::new();
        for name in names {
            let needle = format!("{{{{{name}}}}}");
            for (at, _) in line.match_indices(&needle) {
                hits.push((at, needle.clone()));
            }
        }
        hits.sort();
        for (at, needle) in hits {
            out.push(json!({"file": file, "line": n + 1, "column": at + 1, "placeholder": needle}));
        }
    }
    out
}

#[test]
fn strict_deploy_fails_helpfully_and_writes_nothing() -> TestResult {
    let env = Env::new();
    real_tree(&env);
    import(&env, &[]);
    template(&env);
    let run = env
        .run(&["deploy", "real", "app", "--var", "PROJECT_NAME=rocket"])
        .fails_with(&[
            "unknown placeholder",
            "--lenient",
            "stencil artifact verbatim skill:report .claude/skills/report/",
        ]);
    let names_the_file =
        run.stderr.contains("scripts/gen.py: 2:") && run.stderr.contains("templates/page.html: 7:");
    assert!(names_the_file, "{}", run.stderr);
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn lenient_deploy_reports_exactly_the_placeholders_left() -> TestResult {
    let env = Env::new();
    let files = real_tree(&env);
    import(&env, &[]);
    template(&env);
    let run = env
        .run(&[
            "--json",
            "deploy",
            "real",
            "app",
            "--var",
            "PROJECT_NAME=rocket",
            "--lenient",
        ])
        .ok();
    let j = run.json();
    let mut expected = Vec::new();
    for (path, content, _) in &files {
        expected.extend(occurrences(path, content, &["NS", "message"]));
    }
    assert_eq!(expected.len(), 4, "the fixture changed: {expected:?}");
    let mut left = j["left"].as_array().ok_or("left")?.clone();
    let key = |v: &Value| v.to_string();
    left.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(left, expected);
    // The left placeholders are in the files as they were.
    let gen_py = fs::read(env.path(&format!("app/{SKILL}/scripts/gen.py")))?;
    assert_eq!(gen_py, files[1].1);

    let human = env
        .run(&[
            "deploy",
            "real",
            "app2",
            "--var",
            "PROJECT_NAME=rocket",
            "--lenient",
        ])
        .ok();
    assert!(
        human.stdout.contains("scripts/gen.py:11:") && human.stdout.contains("{{NS}}"),
        "{}",
        human.stdout
    );
    assert!(
        human.stderr.contains("warning: 4 unknown placeholder"),
        "{}",
        human.stderr
    );
    Ok(())
}

#[test]
fn marking_files_verbatim_makes_strict_succeed() -> TestResult {
    // Later, on the artifact in the catalogue.
    let env = Env::new();
    real_tree(&env);
    import(&env, &[]);
    template(&env);
    env.run(&[
        "artifact",
        "verbatim",
        "skill:report",
        ".claude/skills/report/scripts/gen.py",
        ".claude/skills/report/templates/page.html",
    ])
    .ok();
    env.run(&["deploy", "real", "app", "--var", "PROJECT_NAME=rocket"])
        .ok();
    // The mark survives a re-import of the unchanged tree.
    let j = import(&env, &[]);
    assert_eq!(j["changed"], false);
    env.run(&["deploy", "real", "app2", "--var", "PROJECT_NAME=rocket"])
        .ok();

    // At import, with globs.
    let env = Env::new();
    real_tree(&env);
    let j = import(
        &env,
        &["--verbatim", "*.py", "--verbatim", "**/templates/**"],
    );
    let verbatim: Vec<&str> = j["verbatim"]
        .as_array()
        .ok_or("verbatim")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        verbatim,
        [
            ".claude/skills/report/assets/logo.bin",
            ".claude/skills/report/scripts/gen.py",
            ".claude/skills/report/templates/page.html",
        ]
    );
    template(&env);
    env.run(&["deploy", "real", "app", "--var", "PROJECT_NAME=rocket"])
        .ok();
    Ok(())
}

#[test]
fn deployed_files_are_byte_identical_and_keep_their_modes() -> TestResult {
    let env = Env::new();
    let files = real_tree(&env);
    import(&env, &["--verbatim", "*.py", "--verbatim", "*.html"]);
    template(&env);
    env.run(&["deploy", "real", "app", "--var", "PROJECT_NAME=rocket"])
        .ok();
    for (path, content, exec) in &files {
        let deployed = env.path(&format!("app/{path}"));
        let got = fs::read(&deployed)?;
        if path.ends_with("SKILL.md") {
            assert_eq!(
                got,
                b"---\ndescription: Build a report page\n---\n# Report for rocket\n"
            );
        } else {
            assert_eq!(&got, content, "{path} changed");
        }
        let mode = fs::metadata(&deployed)?.permissions().mode();
        assert_eq!(mode & 0o111 != 0, *exec, "{path} has mode {mode:o}");
    }
    let out = Command::new(env.path(&format!("app/{SKILL}/scripts/run.sh"))).output()?;
    assert_eq!(out.stdout, b"ran-ok\n");
    Ok(())
}

#[test]
fn symlinks_are_listed_and_never_followed() -> TestResult {
    let env = Env::new();
    let files = real_tree(&env);
    let j = import(&env, &[]);
    assert_eq!(
        j["skipped"],
        json!([{"path": ".claude/skills/report/leak.txt", "reason": "symlink"}])
    );
    assert_eq!(j["files"], files.len());
    let show = env
        .run(&["--json", "artifact", "show", "skill:report"])
        .ok()
        .json();
    let text = show.to_string();
    assert!(!text.contains("leak.txt"), "{text}");
    let human = env
        .run(&["import", env.path("src").to_str().ok_or("path")?])
        .ok();
    assert!(
        human
            .stdout
            .contains("skipped .claude/skills/report/leak.txt (symlink)"),
        "{}",
        human.stdout
    );
    template(&env);
    env.run(&[
        "deploy",
        "real",
        "app",
        "--var",
        "PROJECT_NAME=rocket",
        "--lenient",
    ])
    .ok();
    let deployed = files_under(&env.path("app"));
    assert!(!deployed.iter().any(|p| p.contains("leak")), "{deployed:?}");
    Ok(())
}

#[test]
fn reimport_of_the_real_tree_is_a_no_op_and_a_change_is_one_new_version() -> TestResult {
    let env = Env::new();
    real_tree(&env);
    let first = import(&env, &[]);
    assert_eq!(first["changed"], true);
    let again = import(&env, &[]);
    assert_eq!(again["changed"], false);
    assert_eq!(again["created"], json!([]));
    assert_eq!(again["updated"], json!([]));
    env.write("src/.claude/rules/no-newline.md", "changed");
    let third = import(&env, &[]);
    assert_eq!(third["updated"], json!(["rule_file:no-newline"]));
    let show = env
        .run(&["--json", "artifact", "show", "skill:report"])
        .ok()
        .json();
    assert_eq!(show["version"], 1);
    Ok(())
}
