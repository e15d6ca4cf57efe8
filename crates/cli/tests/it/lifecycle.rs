//! `status`, `diff`, `update`, `undeploy` and `deploy --with/--secret`
//! through the binary: every row of the update table with its exit code
//! (0 clean, 3 conflicts left or aborted), `status --check` for CI.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::common::*;

const DOC: &str = "# {{PROJECT_NAME}}\none\ntwo\nthree\nfour\nfive\nsix\n";
const SKILL: &str = "src/.claude/skills/s";
const DEPLOYED: &str = "app/.claude/skills/s";

/// A catalogue holding template `t`: one skill with a document, a second
/// file and a binary file.
fn setup(env: &Env) {
    env.write(&format!("{SKILL}/SKILL.md"), "---\ndescription: s\n---\n");
    env.write(&format!("{SKILL}/doc.md"), DOC);
    env.write(&format!("{SKILL}/extra.md"), "extra\n");
    fs::write(env.path(&format!("{SKILL}/logo.bin")), b"\0one\ntwo\n").unwrap();
    env.run(&["import", "src", "--collection", "all"]).ok();
    env.run(&["template", "create", "t", "--collection", "all"])
        .ok();
    env.run(&["deploy", "t", "app", "--var", "PROJECT_NAME=rocket"])
        .ok();
}

/// The template changes upstream: rewrite a source file and re-import.
fn upstream(env: &Env, file: &str, content: Option<&[u8]>) {
    let path = env.path(&format!("{SKILL}/{file}"));
    match content {
        Some(c) => fs::write(path, c).unwrap(),
        None => fs::remove_file(path).unwrap(),
    }
    env.run(&["import", "src"]).ok();
}

fn local(env: &Env, file: &str, content: Option<&[u8]>) {
    let path = env.path(&format!("{DEPLOYED}/{file}"));
    match content {
        Some(c) => fs::write(path, c).unwrap(),
        None => fs::remove_file(path).unwrap(),
    }
}

fn read(env: &Env, file: &str) -> Option<Vec<u8>> {
    fs::read(env.path(&format!("{DEPLOYED}/{file}"))).ok()
}

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                let rel = e.path().strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

struct Row {
    name: &'static str,
    /// Local change, upstream change (file, content; `None` deletes).
    local: Option<(&'static str, Option<&'static [u8]>)>,
    upstream: Option<(&'static str, Option<&'static [u8]>)>,
    args: &'static [&'static str],
    code: i32,
    /// The action `update --json` reports for the file.
    action: &'static str,
    /// The file's content afterwards (`None`: absent).
    after: Option<&'static [u8]>,
    file: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        name: "D = B: write N",
        local: None,
        upstream: Some(("doc.md", Some(b"# {{PROJECT_NAME}}\nnew\n"))),
        args: &[],
        code: 0,
        action: "updated",
        after: Some(b"# rocket\nnew\n"),
        file: "doc.md",
    },
    Row {
        name: "N = B: keep D",
        local: Some(("doc.md", Some(b"mine\n"))),
        upstream: Some(("extra.md", Some(b"extra 2\n"))),
        args: &[],
        code: 0,
        action: "kept",
        after: Some(b"mine\n"),
        file: "doc.md",
    },
    Row {
        name: "D = N: record only",
        local: Some(("doc.md", Some(b"# rocket\nsame\n"))),
        upstream: Some(("doc.md", Some(b"# {{PROJECT_NAME}}\nsame\n"))),
        args: &[],
        code: 0,
        action: "record only",
        after: Some(b"# rocket\nsame\n"),
        file: "doc.md",
    },
    Row {
        name: "both changed apart: clean merge",
        local: Some((
            "doc.md",
            Some(b"# rocket\nONE\ntwo\nthree\nfour\nfive\nsix\n"),
        )),
        upstream: Some((
            "doc.md",
            Some(b"# {{PROJECT_NAME}}\none\ntwo\nthree\nfour\nfive\nSIX\n"),
        )),
        args: &[],
        code: 0,
        action: "merged",
        after: Some(b"# rocket\nONE\ntwo\nthree\nfour\nfive\nSIX\n"),
        file: "doc.md",
    },
    Row {
        name: "same line, markers",
        local: Some((
            "doc.md",
            Some(b"# rocket\none\nmine\nthree\nfour\nfive\nsix\n"),
        )),
        upstream: Some((
            "doc.md",
            Some(b"# {{PROJECT_NAME}}\none\ntheirs\nthree\nfour\nfive\nsix\n"),
        )),
        args: &["--conflict", "markers"],
        code: 3,
        action: "conflict",
        after: None, // checked separately: holds markers
        file: "doc.md",
    },
    Row {
        name: "same line, rej",
        local: Some((
            "doc.md",
            Some(b"# rocket\none\nmine\nthree\nfour\nfive\nsix\n"),
        )),
        upstream: Some((
            "doc.md",
            Some(b"# {{PROJECT_NAME}}\none\ntheirs\nthree\nfour\nfive\nsix\n"),
        )),
        args: &["--conflict", "rej"],
        code: 3,
        action: "conflict",
        after: Some(b"# rocket\none\nmine\nthree\nfour\nfive\nsix\n"),
        file: "doc.md",
    },
    Row {
        name: "deleted by the user: stays deleted",
        local: Some(("extra.md", None)),
        upstream: Some(("extra.md", Some(b"extra 2\n"))),
        args: &[],
        code: 0,
        action: "kept deleted",
        after: None,
        file: "extra.md",
    },
    Row {
        name: "deleted by the user: --restore",
        local: Some(("extra.md", None)),
        upstream: Some(("extra.md", Some(b"extra 2\n"))),
        args: &["--restore"],
        code: 0,
        action: "restored",
        after: Some(b"extra 2\n"),
        file: "extra.md",
    },
    Row {
        name: "removed from the template, unmodified: deleted",
        local: None,
        upstream: Some(("extra.md", None)),
        args: &[],
        code: 0,
        action: "removed",
        after: None,
        file: "extra.md",
    },
    Row {
        name: "removed from the template, modified: kept",
        local: Some(("extra.md", Some(b"notes\n"))),
        upstream: Some(("extra.md", None)),
        args: &[],
        code: 0,
        action: "kept removed",
        after: Some(b"notes\n"),
        file: "extra.md",
    },
    Row {
        name: "new upstream file over an unmanaged one: conflict",
        local: Some(("new.md", Some(b"the user's\n"))),
        upstream: Some(("new.md", Some(b"template's\n"))),
        args: &[],
        code: 3,
        action: "conflict",
        after: Some(b"the user's\n"),
        file: "new.md",
    },
    Row {
        name: "binary, both changed: conflict",
        local: Some(("logo.bin", Some(b"\0one\nmine\n"))),
        upstream: Some(("logo.bin", Some(b"\0one\ntheirs\n"))),
        args: &[],
        code: 3,
        action: "conflict",
        after: Some(b"\0one\nmine\n"),
        file: "logo.bin",
    },
];

#[test]
fn every_row_of_the_update_table_through_the_cli() {
    for row in ROWS {
        let env = Env::new();
        setup(&env);
        if let Some((file, content)) = row.local {
            local(&env, file, content);
        }
        if let Some((file, content)) = row.upstream {
            upstream(&env, file, content);
        }
        let args = [&["--json", "update", "app"][..], row.args].concat();
        let run = env.run(&args).expect_code(row.code);
        let j = run.json();
        let path = format!(".claude/skills/s/{}", row.file);
        let action = j["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path.as_str())
            .map(|f| f["action"].as_str().unwrap().to_string());
        assert_eq!(action.as_deref(), Some(row.action), "{}: {j}", row.name);
        if row.action != "conflict" || row.after.is_some() {
            assert_eq!(read(&env, row.file).as_deref(), row.after, "{}", row.name);
        }
        if row.name == "same line, markers" {
            let text = String::from_utf8(read(&env, "doc.md").unwrap()).unwrap();
            assert!(
                text.contains("<<<<<<< project\nmine\n=======\ntheirs\n>>>>>>> template t sha256:"),
                "{text}"
            );
        }
        if row.name == "same line, rej" {
            assert!(read(&env, "doc.md.rej").is_some(), "{}", row.name);
        }
    }
}

#[test]
fn abort_writes_nothing_and_exits_3() {
    let env = Env::new();
    setup(&env);
    local(
        &env,
        "doc.md",
        Some(b"# rocket\none\nmine\nthree\nfour\nfive\nsix\n"),
    );
    upstream(
        &env,
        "doc.md",
        Some(b"# {{PROJECT_NAME}}\none\ntheirs\nthree\nfour\nfive\nsix\n"),
    );
    upstream(&env, "extra.md", Some(b"extra 2\n"));
    let before = tree(&env.path("app"));
    let run = env
        .run(&["update", "app", "--conflict", "abort"])
        .expect_code(3);
    assert!(run.stdout.contains("nothing was written"), "{}", run.stdout);
    assert_eq!(tree(&env.path("app")), before);
}

#[test]
fn status_check_is_0_when_clean_and_3_when_modified_or_outdated() {
    let env = Env::new();
    setup(&env);
    let run = env.run(&["status", "app", "--check"]).ok();
    assert!(run.stdout.contains("up to date"), "{}", run.stdout);
    local(&env, "doc.md", Some(b"edited\n"));
    let run = env.run(&["status", "app", "--check"]).expect_code(3);
    assert!(run.stdout.contains("modified"), "{}", run.stdout);
    // Without --check, attention is reported but the exit code is 0.
    let j = env.run(&["--json", "status", "app"]).ok().json();
    assert_eq!(j["clean"], false);
    local(
        &env,
        "doc.md",
        Some(b"# rocket\none\ntwo\nthree\nfour\nfive\nsix\n"),
    );
    env.run(&["status", "app", "--check"]).ok();
    upstream(&env, "extra.md", Some(b"extra 2\n"));
    let run = env.run(&["status", "app", "--check"]).expect_code(3);
    assert!(run.stdout.contains("OUTDATED"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("upstream changed  .claude/skills/s/extra.md"),
        "{}",
        run.stdout
    );
}

#[test]
fn diff_prints_unified_diffs_and_never_diffs_binaries() {
    let env = Env::new();
    setup(&env);
    local(
        &env,
        "doc.md",
        Some(b"# rocket\none\nTWO\nthree\nfour\nfive\nsix\n"),
    );
    local(&env, "logo.bin", Some(b"\0changed"));
    let run = env.run(&["diff", "app"]).ok();
    assert!(
        run.stdout.contains("--- a/.claude/skills/s/doc.md"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("-two\n+TWO\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("binary file .claude/skills/s/logo.bin: differs"),
        "{}",
        run.stdout
    );
    upstream(&env, "extra.md", Some(b"extra 2\n"));
    let run = env.run(&["diff", "app", "--upstream"]).ok();
    assert!(run.stdout.contains("-extra\n+extra 2\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("doc.md"), "{}", run.stdout);
}

#[test]
fn undeploy_keeps_modified_files_unless_forced() {
    let env = Env::new();
    setup(&env);
    local(&env, "doc.md", Some(b"mine\n"));
    let run = env.run(&["undeploy", "app"]).ok();
    assert!(run.stdout.contains("kept (modified"), "{}", run.stdout);
    let left: Vec<String> = tree(&env.path("app")).into_keys().collect();
    assert_eq!(left, [".claude/skills/s/doc.md"]);
    env.run(&["status", "app"]).fails_with(&["no deployment"]);
}

#[test]
fn deploy_with_deploys_several_templates_in_one_transaction() {
    let env = Env::new();
    env.write("src/.claude/commands/a.md", "a\n");
    env.write("src/.claude/agents/b.md", "b\n");
    env.run(&["import", "src"]).ok();
    env.run(&["template", "create", "ta", "--artifact", "command:a"])
        .ok();
    env.run(&["template", "create", "tb", "--artifact", "agent:b"])
        .ok();
    let j = env
        .run(&[
            "--json",
            "deploy",
            "ta",
            "--with",
            "tb",
            "app",
            "--var",
            "PROJECT_NAME=x",
        ])
        .ok()
        .json();
    assert_eq!(j["deployments"].as_array().map(Vec::len), Some(2));
    assert!(env.path("app/.stencil/deployments/ta.json").is_file());
    assert!(env.path("app/.stencil/deployments/tb.json").is_file());
    env.run(&["update", "app"]).fails_with(&["--template"]);
    env.run(&["update", "app", "--template", "tb"]).ok();
}

#[test]
fn secrets_are_asked_for_again_and_never_stored() {
    let env = Env::new();
    env.write("src/.claude/commands/env.md", "author={{AUTHOR}}\n");
    env.run(&["import", "src", "--collection", "all"]).ok();
    env.run(&["template", "create", "t", "--collection", "all"])
        .ok();
    env.run(&[
        "deploy",
        "t",
        "app",
        "--var",
        "PROJECT_NAME=x",
        "--secret",
        "AUTHOR=hunter2-secret",
    ])
    .ok();
    for (path, bytes) in tree(&env.path("app/.stencil")) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("hunter2-secret"),
            "{path}"
        );
    }
    env.run(&["update", "app"])
        .fails_with(&["AUTHOR", "--secret"]);
    env.run(&["update", "app", "--secret", "AUTHOR=hunter2-secret"])
        .ok();
}
