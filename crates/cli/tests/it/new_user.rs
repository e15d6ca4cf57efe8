//! Issue 17 items 8 and 9: what misled a new user — typos that passed
//! silently, and wording that said something else than what happened.

use std::fs;

use crate::common::{Env, TestResult, files_under};

/// The small tree in collection `all`, and template `svc` of it.
fn setup(env: &Env) -> TestResult {
    env.small_tree();
    env.import_as_template_svc()
}

const VARS: [&str; 4] = ["--var", "PROJECT_NAME=rocket", "--var", "AUTHOR=me"];

#[test]
fn an_unknown_type_is_an_error_listing_the_types_there_are() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&["artifact", "list", "--type", "skil"])
        .fails_with(&[
            "no artifact has type `skil`",
            "types in the catalogue: `agent`, `command`, `context_file`, `rule_file`, `skill`",
        ]);
    let j = env
        .run(&["--json", "artifact", "list", "--type", "skill"])
        .ok()
        .json();
    assert_eq!(j["items"][0]["key"], "skill:review");
    Ok(())
}

#[test]
fn an_unknown_profile_is_an_error_and_a_custom_root_is_spelled_out() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    let run = env
        .run(&[&["deploy", "svc", "app", "--profile", "bogus"][..], &VARS].concat())
        .expect_code(2);
    for needle in [
        "unknown profile `bogus`",
        "known profiles: claude, codex, gemini, cursor, agents, as-stored",
        "--profile-root DIR",
    ] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!env.path("app").exists());
    assert!(!env.path("bogus").exists());
    env.run(
        &[
            &["deploy", "svc", "app", "--profile-root", "config/ai"][..],
            &VARS,
        ]
        .concat(),
    )
    .ok();
    assert!(env.path("app/config/ai/rules/api.md").is_file());
    assert!(!env.path("app/.claude").exists());
    env.run(&["deploy", "svc", "app", "--profile-root", "../out"])
        .expect_code(2);
    env.run(&[
        "deploy",
        "svc",
        "app",
        "--profile",
        "codex",
        "--profile-root",
        "x",
    ])
    .expect_code(2);
    Ok(())
}

#[test]
fn a_dry_run_says_what_it_would_write() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    let run = env
        .run(&[&["deploy", "svc", "app", "--dry-run"][..], &VARS].concat())
        .ok();
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(
            "dry run of template \"svc\" into app: would write 6, skip 0, overwrite 0 and create "
        ) && first.contains("; nothing written ("),
        "{first}"
    );
    assert!(!first.contains("written,"), "{first}");
    assert!(!env.path("app").exists());
    Ok(())
}

#[test]
fn replace_says_replaced_and_already_exists_names_replace() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    let args = ["template", "create", "svc", "--artifact", "rule_file:api"];
    env.run(&args).fails_with(&[
        "template `svc` already exists; give --replace to replace it, or choose another name",
    ]);
    let run = env.run(&[&args[..], &["--replace"]].concat()).ok();
    assert!(
        run.stdout.starts_with("replaced template `svc`: 1 entity"),
        "{}",
        run.stdout
    );
    let j = env
        .run(&[&["--json"][..], &args, &["--replace"]].concat())
        .ok()
        .json();
    assert_eq!(j["replaced"], true);
    let run = env
        .run(&[
            "template",
            "create",
            "new",
            "--artifact",
            "rule_file:api",
            "--replace",
        ])
        .ok();
    assert!(
        run.stdout.starts_with("created template `new`"),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn the_next_page_hint_keeps_the_filters_and_the_limit() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    let run = env
        .run(&["artifact", "list", "--collection", "all", "--limit", "2"])
        .ok();
    let hint = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("more: stencil "))
        .ok_or("no more: hint")?;
    assert!(
        hint.starts_with("artifact list --collection all --limit 2 --after "),
        "{hint}"
    );
    // The hint runs as written and gives the next two.
    let args: Vec<&str> = hint.split(' ').collect();
    let next = env.run(&args).ok();
    assert_eq!(
        next.stdout
            .lines()
            .filter(|l| !l.starts_with("more:"))
            .count(),
        2,
        "{}",
        next.stdout
    );

    for name in ["a", "b", "c"] {
        env.run(&["collection", "create", name]).ok();
    }
    let run = env.run(&["collection", "list", "--limit", "1"]).ok();
    assert!(
        run.stdout
            .contains("more: stencil collection list --limit 1 --after "),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn a_reimport_of_one_artifact_does_not_say_all_1() -> TestResult {
    let env = Env::new();
    env.write("src/.claude/commands/ship.md", "Ship it.\n");
    let src = env.path("src");
    let src = src.to_str().ok_or("path")?;
    env.run(&["import", src]).ok();
    let run = env.run(&["import", src]).ok();
    assert!(
        run.stdout
            .contains("nothing changed: the artifact is already up to date"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("all 1"), "{}", run.stdout);
    Ok(())
}

#[test]
fn template_list_columns_line_up() -> TestResult {
    let env = Env::new();
    setup(&env)?;
    env.run(&[
        "template",
        "create",
        "a-much-longer-name",
        "--artifact",
        "rule_file:api",
        "--description",
        "one rule",
    ])
    .ok();
    let run = env.run(&["template", "list"]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    let column = |line: &str, word: &str| line.find(word);
    assert_eq!(
        column(lines[0], "entit"),
        column(lines[1], "entit"),
        "{}",
        run.stdout
    );
    // The description column starts after the widest collection cell.
    let collection = "(follows collection all)";
    assert_eq!(
        column(lines[0], "one rule"),
        column(lines[1], collection).map(|c| c + collection.len() + 2),
        "{}",
        run.stdout
    );
    Ok(())
}

#[test]
fn demo_help_and_behaviour_agree_about_stencil_catalog() -> TestResult {
    let env = Env::new();
    let help = env.run(&["demo", "--help"]).ok();
    assert!(
        help.stdout.contains("`STENCIL_CATALOG` is not read"),
        "{}",
        help.stdout
    );
    let help = env.run(&["--help"]).ok();
    assert!(
        help.stdout
            .contains("`demo` uses a temporary one unless this flag is given"),
        "{}",
        help.stdout
    );
    let mine = env.path("mine.db");
    env.run_bare(
        &["demo", "proj"],
        &[("STENCIL_CATALOG", mine.to_str().ok_or("path")?)],
    )
    .ok();
    assert!(!mine.exists(), "demo wrote into STENCIL_CATALOG");
    assert!(env.path("proj/CLAUDE.md").is_file());
    Ok(())
}

#[test]
fn render_and_recover_do_not_offer_a_catalogue() -> TestResult {
    let env = Env::new();
    for command in ["render", "recover"] {
        let help = env.run(&[command, "--help"]).ok();
        assert!(
            !help.stdout.contains("--catalog"),
            "{command}: {}",
            help.stdout
        );
        assert!(
            help.stdout.contains("Uses no catalogue"),
            "{command}: {}",
            help.stdout
        );
    }
    let help = env.run(&["deploy", "--help"]).ok();
    assert!(help.stdout.contains("--catalog"), "{}", help.stdout);
    // Still accepted (scripts that pass it everywhere keep working).
    let file = env.write("in.txt", "{{X}}\n");
    let run = env
        .run(&[
            "render",
            "--catalog",
            "unused.db",
            file.to_str().ok_or("path")?,
            "--var",
            "X=1",
        ])
        .ok();
    assert_eq!(run.stdout, "1\n");
    assert!(!env.path("unused.db").exists());
    fs::create_dir(env.path("proj"))?;
    env.run(&["recover", "proj", "--catalog", "unused.db"]).ok();
    assert!(files_under(&env.path("proj")).is_empty());
    Ok(())
}
