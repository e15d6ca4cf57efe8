//! Every command's failures: exit code, one-line message, and nothing
//! written.

use std::fs;

use crate::common::{Env, TestResult, files_under};

/// Imports the small tree, plus an artifact whose path holds a variable,
/// and makes template `svc` of all of it.
fn setup(env: &Env) -> TestResult {
    env.small_tree();
    env.write(
        "src/.claude/rules/{{PROJECT_NAME}}.md",
        "named after the project\n",
    );
    env.import_as_template_svc()
}

const VARS: [&str; 4] = ["--var", "PROJECT_NAME=rocket", "--var", "AUTHOR=me"];

fn deploy_args<'a>(template: &'a str, dir: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["deploy", template, dir];
    args.extend(extra);
    args
}

#[test]
fn unknown_template() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&deploy_args("nope", "app", &VARS))
        .fails_with(&["template `nope` does not exist"]);
    assert!(!env.path("app").exists());
    env.run(&["template", "show", "nope"])
        .fails_with(&["template `nope` does not exist"]);
    Ok(())
}

#[test]
fn missing_required_variable() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&deploy_args("svc", "app", &["--var", "AUTHOR=me"]))
        .fails_with(&["missing required variable", "PROJECT_NAME", "--var"]);
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn blank_required_variable() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&deploy_args(
        "svc",
        "app",
        &["--var", "PROJECT_NAME= ", "--var", "AUTHOR=me"],
    ))
    .fails_with(&["must not be blank", "PROJECT_NAME"]);
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn traversal_via_a_variable() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    fs::create_dir(env.path("app"))?;
    env.run(&deploy_args(
        "svc",
        "app",
        &["--var", "PROJECT_NAME=../x", "--var", "AUTHOR=me"],
    ))
    .fails_with(&["../x", "not allowed"]);
    assert!(files_under(&env.path("app")).is_empty());
    assert!(!env.path("x.md").exists());
    assert!(!env.path("app/.claude").exists());
    Ok(())
}

#[test]
fn existing_files_with_fail_existing() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.write("app/CLAUDE.md", "mine\n");
    env.run(&deploy_args(
        "svc",
        "app",
        &[&VARS[..], &["--fail-existing"]].concat(),
    ))
    .fails_with(&["already exist", "CLAUDE.md", "nothing was changed"]);
    assert_eq!(files_under(&env.path("app")), ["CLAUDE.md"]);
    assert_eq!(fs::read_to_string(env.path("app/CLAUDE.md"))?, "mine\n");
    Ok(())
}

#[test]
fn corrupt_catalogue_file() -> TestResult {
    let env = Env::new();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    fs::write(&env.catalog, &garbage)?;
    let before = files_under(env.dir.path());
    env.run(&deploy_args("svc", "app", &VARS)).fails_with(&[
        "cannot open catalogue",
        "catalog.db",
        "not a database",
    ]);
    env.run(&["artifact", "list"])
        .fails_with(&["cannot open catalogue"]);
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?])
        .fails_with(&["cannot open catalogue"]);
    fs::remove_dir_all(&src)?;
    assert_eq!(
        fs::read(&env.catalog)?,
        garbage,
        "the catalogue file was changed"
    );
    assert_eq!(files_under(env.dir.path()), before, "something was written");
    Ok(())
}

#[test]
fn missing_catalogue_is_not_created_by_reads() -> TestResult {
    let env = Env::new();
    for args in [
        &["artifact", "list"][..],
        &["template", "list"],
        &["collection", "list"],
        &["deploy", "svc", "app", "--var", "PROJECT_NAME=x"],
    ] {
        env.run(args)
            .fails_with(&["no catalogue at", "stencil init"]);
    }
    assert!(files_under(env.dir.path()).is_empty());
    Ok(())
}

#[test]
fn strict_placeholder_says_how_to_proceed() -> TestResult {
    let env = Env::new();
    env.write(
        "src/.claude/skills/gen/gen.py",
        "x = 1\nprint(f\"{{{NS}}}\")\n",
    );
    env.run(&["import", env.path("src").to_str().ok_or("path")?])
        .ok();
    env.run(&["template", "create", "t", "--artifact", "skill:gen"])
        .ok();
    env.run(&deploy_args("t", "app", &VARS)).fails_with(&[
        ".claude/skills/gen/gen.py: 2:10 `{{NS}}`",
        "{{NS}}",
        "--lenient",
        "stencil artifact verbatim skill:gen .claude/skills/gen/gen.py",
    ]);
    assert!(!env.path("app").exists());
    Ok(())
}

/// A path is always rendered strictly, so for a placeholder in a path the
/// CLI suggests a value only: `--lenient` or a verbatim mark would not help.
#[test]
fn placeholder_in_a_path_suggests_a_value_only() -> TestResult {
    let env = Env::new();
    env.write("src/.claude/rules/{{TEAM}}.md", "rules\n");
    env.run(&["import", env.path("src").to_str().ok_or("path")?])
        .ok();
    env.run(&[
        "template",
        "create",
        "t",
        "--artifact",
        "rule_file:{{TEAM}}",
    ])
    .ok();
    let run = env.run(&deploy_args("t", "app", &VARS)).fails_with(&[
        ".claude/rules/{{TEAM}}.md: 1:15 `{{TEAM}}` (in the path)",
        "--var TEAM=",
    ]);
    assert!(!run.stderr.contains("--lenient"), "{}", run.stderr);
    assert!(!run.stderr.contains("verbatim"), "{}", run.stderr);
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn selection_errors() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&deploy_args(
        "svc",
        "app",
        &[&VARS[..], &["--only", "skill:zz"]].concat(),
    ))
    .fails_with(&["has no entity `skill:zz`"]);
    env.run(&[
        "template",
        "create",
        "strict",
        "--artifact",
        "context_file:CLAUDE.md",
        "--artifact",
        "skill:review?",
    ])
    .ok();
    env.run(&deploy_args(
        "strict",
        "app",
        &[&VARS[..], &["--only", "skill:review"]].concat(),
    ))
    .fails_with(&["requires an entity", "context_file:CLAUDE.md"]);
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn usage_errors_exit_with_2() -> TestResult {
    let env = Env::new();
    let run = env
        .run(&["deploy", "svc", "app", "--overwrite", "--fail-existing"])
        .expect_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    env.run(&["deploy", "svc", "app", "--var", "NOVALUE"])
        .expect_code(2);
    env.run(&["render", "--var", "=x"]).expect_code(2);
    env.run(&["no-such-command"]).expect_code(2);
    env.run(&["deploy", "svc", "app", "--profile", "../out"])
        .expect_code(2);
    assert!(files_under(env.dir.path()).is_empty());
    Ok(())
}

#[test]
fn import_of_a_tree_without_a_root_folder() -> TestResult {
    let env = Env::new();
    env.write("src/README.md", "hello\n");
    env.run(&["import", env.path("src").to_str().ok_or("path")?])
        .fails_with(&["neither is nor contains a .claude/"]);
    env.run(&["import", env.path("missing").to_str().ok_or("path")?])
        .fails_with(&["cannot read directory", "missing"]);
    assert!(!env.catalog.exists(), "a catalogue was created");
    Ok(())
}

/// Unix only: it makes a file unreadable with permission bits.
#[cfg(unix)]
#[test]
fn import_of_an_unreadable_file_names_it() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let secret = env.write("src/.claude/rules/secret.md", "no\n");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000))?;
    if fs::read(&secret).is_ok() {
        // Running as root: permissions cannot make a file unreadable.
        eprintln!("skipped: files are always readable for this user");
        return Ok(());
    }
    env.run(&["import", env.path("src").to_str().ok_or("path")?])
        .fails_with(&["cannot read", "secret.md"]);
    assert!(!env.catalog.exists(), "a catalogue was created");
    Ok(())
}

#[test]
fn import_with_a_bad_glob_or_clashing_roots() -> TestResult {
    let env = Env::new();
    env.small_tree();
    let src = env.path("src");
    let src = src.to_str().ok_or("path")?;
    env.run(&["import", src, "--verbatim", "a[b"])
        .fails_with(&["invalid --verbatim glob `a[b`"]);
    env.write("src/.codex/rules/api.md", "other\n");
    env.run(&["import", src])
        .fails_with(&["both map to artifact `rule_file:api`", "DIR/.claude"]);
    assert!(!env.catalog.exists(), "a catalogue was created");
    Ok(())
}

#[test]
fn import_into_a_bad_collection_name_imports_nothing() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    let src = src.to_str().ok_or("path")?;
    env.run(&["import", src, "--collection", " padded"])
        .fails_with(&["collection name", "nothing was imported"]);
    assert!(!env.catalog.exists(), "a catalogue was left behind");
    env.run(&["init"]).ok();
    env.run(&["import", src, "--collection", ""])
        .fails_with(&["collection name"]);
    let j = env.run(&["--json", "artifact", "list"]).ok().json();
    assert_eq!(j["items"], serde_json::json!([]));
    Ok(())
}

#[test]
fn catalogue_edits_of_unknown_things_change_nothing() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&["collection", "create", "web"]).ok();
    env.run(&["collection", "add", "web", "skill:review", "skill:nope"])
        .fails_with(&["`skill:nope`", "not changed"]);
    let j = env.run(&["--json", "collection", "list"]).ok().json();
    let web = j["items"]
        .as_array()
        .ok_or("items")?
        .iter()
        .find(|c| c["name"] == "web")
        .ok_or("web")?
        .clone();
    assert_eq!(web["artifact_count"], 0);
    env.run(&["collection", "create", "web"])
        .fails_with(&["already exists"]);
    env.run(&["collection", "add", "nope", "skill:review"])
        .fails_with(&["collection `nope` does not exist"]);
    env.run(&["tag", "add", "skill:nope", "x"])
        .fails_with(&["artifact `skill:nope` does not exist"]);
    env.run(&["tag", "add", "not-a-key", "x"])
        .fails_with(&["type:name"]);
    env.run(&["template", "create", "t2", "--artifact", "skill:nope"])
        .fails_with(&["skill:nope"]);
    env.run(&["template", "create", "svc", "--artifact", "skill:review"])
        .fails_with(&["already exists"]);
    env.run(&["template", "create", "t3"])
        .fails_with(&["needs entities"]);
    env.run(&["artifact", "list", "--limit", "0"])
        .fails_with(&["limit"]);
    env.run(&["artifact", "show", "skill:nope"])
        .fails_with(&["does not exist"]);
    env.run(&["artifact", "verbatim", "skill:review", "nope.md"])
        .fails_with(&["has no file `nope.md`"]);
    Ok(())
}

#[test]
fn render_failures() -> TestResult {
    let env = Env::new();
    env.run(&["render", "missing.txt"])
        .fails_with(&["cannot read missing.txt"]);
    let file = env.write("in.txt", "{{X}}\n");
    env.run(&["render", file.to_str().ok_or("path")?])
        .fails_with(&["in.txt:1:1", "{{X}}", "--lenient"]);
    env.run(&[
        "render",
        file.to_str().ok_or("path")?,
        "--var",
        "X=1",
        "--var",
        "X=2",
    ])
    .fails_with(&["more than once", "X"]);
    Ok(())
}

#[test]
fn recover_of_a_file_is_an_error() -> TestResult {
    let env = Env::new();
    let file = env.write("file", "x");
    env.run(&["recover", file.to_str().ok_or("path")?])
        .fails_with(&["not a directory"]);
    assert_eq!(fs::read(&file)?, b"x");
    Ok(())
}
