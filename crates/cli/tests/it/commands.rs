//! Every command's normal use, through the built binary.

use std::fs;

use crate::common::{Env, TestResult, files_under};

#[test]
fn init_creates_the_catalogue_once() -> TestResult {
    let env = Env::new();
    let run = env.run(&["init"]).ok();
    assert!(run.stdout.contains("created catalogue"), "{}", run.stdout);
    assert!(env.catalog.is_file());
    let run = env.run(&["--json", "init"]).ok();
    assert_eq!(run.json()["created"], false);
    Ok(())
}

#[test]
fn the_catalogue_location_comes_from_flag_env_or_default() -> TestResult {
    let env = Env::new();
    env.run_bare(&["init"], &[]).ok();
    assert!(env.path(".stencil/catalog.db").is_file());
    env.run_bare(&["init"], &[("STENCIL_CATALOG", "from-env.db")])
        .ok();
    assert!(env.path("from-env.db").is_file());
    env.run_bare(
        &["--catalog", "from-flag.db", "init"],
        &[("STENCIL_CATALOG", "from-env-2.db")],
    )
    .ok();
    assert!(env.path("from-flag.db").is_file());
    assert!(!env.path("from-env-2.db").exists());
    Ok(())
}

#[test]
fn import_maps_the_tree_to_artifacts() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    let run = env
        .run(&[
            "--json",
            "import",
            src.to_str().ok_or("path")?,
            "--collection",
            "base",
        ])
        .ok();
    let j = run.json();
    let created: Vec<&str> = j["created"]
        .as_array()
        .ok_or("created")?
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert_eq!(
        created,
        [
            "agent:tester",
            "command:ship",
            "context_file:CLAUDE.md",
            "rule_file:api",
            "skill:review"
        ]
    );
    assert_eq!(j["files"], 6);
    assert_eq!(j["changed"], true);
    assert_eq!(j["collection"]["artifact_count"], 5);

    let run = env
        .run(&["--json", "artifact", "show", "skill:review"])
        .ok();
    let j = run.json();
    assert_eq!(j["description"], "Review code");
    let paths: Vec<&str> = j["files"]
        .as_array()
        .ok_or("files")?
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        [
            ".claude/skills/review/SKILL.md",
            ".claude/skills/review/notes.md"
        ]
    );
    Ok(())
}

#[test]
fn reimporting_an_unchanged_tree_writes_nothing_and_says_so() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    let src = src.to_str().ok_or("path")?;
    env.run(&["import", src]).ok();
    let run = env.run(&["import", src]).ok();
    assert!(run.stdout.contains("nothing changed"), "{}", run.stdout);
    let j = env.run(&["--json", "import", src]).ok().json();
    assert_eq!(j["changed"], false);
    assert_eq!(j["unchanged"].as_array().map(Vec::len), Some(5));

    // A changed file updates its artifact only.
    env.write("src/.claude/rules/api.md", "# changed\n");
    let j = env.run(&["--json", "import", src]).ok().json();
    assert_eq!(j["updated"], serde_json::json!(["rule_file:api"]));
    assert_eq!(j["unchanged"].as_array().map(Vec::len), Some(4));
    Ok(())
}

#[test]
fn import_accepts_the_root_folder_itself() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    let root = src.join(".claude");
    let j = env
        .run(&["--json", "import", root.to_str().ok_or("path")?])
        .ok()
        .json();
    // CLAUDE.md is outside the root folder, so it is not imported.
    assert_eq!(j["created"].as_array().map(Vec::len), Some(4));
    let j = env
        .run(&["--json", "artifact", "show", "rule_file:api"])
        .ok()
        .json();
    assert_eq!(j["files"][0]["path"], ".claude/rules/api.md");
    Ok(())
}

#[test]
fn import_keeps_tags_across_reimports() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    let src = src.to_str().ok_or("path")?;
    env.run(&["import", src]).ok();
    env.run(&["tag", "add", "skill:review", "quality"]).ok();
    env.write("src/.claude/skills/review/notes.md", "changed\n");
    env.run(&["import", src]).ok();
    let j = env
        .run(&["--json", "artifact", "show", "skill:review"])
        .ok()
        .json();
    assert_eq!(j["tags"], serde_json::json!(["quality"]));
    assert_eq!(j["version"], 2);
    Ok(())
}

#[test]
fn artifact_list_filters_and_pages_with_json() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&[
        "import",
        src.to_str().ok_or("path")?,
        "--collection",
        "base",
    ])
    .ok();
    env.run(&["tag", "add", "rule_file:api", "backend", "docs"])
        .ok();

    let j = env.run(&["--json", "artifact", "list"]).ok().json();
    let items = j["items"].as_array().ok_or("items")?;
    assert_eq!(items.len(), 5);
    assert!(j["next_cursor"].is_null());
    let api = items
        .iter()
        .find(|i| i["key"] == "rule_file:api")
        .ok_or("rule_file:api listed")?;
    assert_eq!(api["type"], "rule_file");
    assert_eq!(api["name"], "api");
    assert_eq!(api["tags"], serde_json::json!(["backend", "docs"]));
    assert_eq!(
        api["collections"],
        serde_json::json!([{"name": "base", "artifact_count": 5}])
    );

    let j = env
        .run(&["--json", "artifact", "list", "--type", "skill"])
        .ok()
        .json();
    assert_eq!(j["items"].as_array().map(Vec::len), Some(1));
    let j = env
        .run(&["--json", "artifact", "list", "--tag", "docs"])
        .ok()
        .json();
    assert_eq!(j["items"][0]["key"], "rule_file:api");
    let j = env
        .run(&["--json", "artifact", "list", "--search", "review"])
        .ok()
        .json();
    assert_eq!(j["items"][0]["key"], "skill:review");
    let j = env
        .run(&[
            "--json",
            "artifact",
            "list",
            "--collection",
            "base",
            "--limit",
            "2",
        ])
        .ok()
        .json();
    assert_eq!(j["items"].as_array().map(Vec::len), Some(2));

    // Paging through with the cursor visits every artifact once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut args = vec!["--json", "artifact", "list", "--limit", "2"];
        if let Some(a) = &after {
            args.extend(["--after", a.as_str()]);
        }
        let j = env.run(&args).ok().json();
        for i in j["items"].as_array().ok_or("items")? {
            seen.push(i["key"].as_str().ok_or("key")?.to_string());
        }
        match j["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    seen.dedup();
    assert_eq!(seen.len(), 5);

    let human = env.run(&["artifact", "list"]).ok();
    assert!(human.stdout.contains("skill:review"), "{}", human.stdout);
    Ok(())
}

#[test]
fn collections_are_created_filled_emptied_and_listed() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?]).ok();
    env.run(&[
        "collection",
        "create",
        "web",
        "--description",
        "for web apps",
    ])
    .ok();
    let j = env
        .run(&[
            "--json",
            "collection",
            "add",
            "web",
            "skill:review",
            "rule_file:api",
        ])
        .ok()
        .json();
    assert_eq!(j["artifact_count"], 2);
    let j = env
        .run(&["--json", "collection", "remove", "web", "skill:review"])
        .ok()
        .json();
    assert_eq!(j["artifact_count"], 1);
    let j = env.run(&["--json", "collection", "list"]).ok().json();
    assert_eq!(
        j["items"],
        serde_json::json!([{"name": "web", "description": "for web apps", "artifact_count": 1, "group_count": 0}])
    );
    let run = env.run(&["collection", "list"]).ok();
    assert!(run.stdout.contains("web  1 artifact"), "{}", run.stdout);
    Ok(())
}

#[test]
fn tags_are_added_and_removed() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?]).ok();
    let j = env
        .run(&["--json", "tag", "add", "command:ship", "release", "ops"])
        .ok()
        .json();
    assert_eq!(j["tags"], serde_json::json!(["ops", "release"]));
    let j = env
        .run(&["--json", "tag", "remove", "command:ship", "ops"])
        .ok()
        .json();
    assert_eq!(j["tags"], serde_json::json!(["release"]));
    Ok(())
}

#[test]
fn templates_are_created_listed_and_shown() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?]).ok();
    env.run(&[
        "template",
        "create",
        "svc",
        "--artifact",
        "context_file:CLAUDE.md",
        "--artifact",
        "skill:review?",
        "--var",
        "TEAM=platform",
        "--var",
        "OWNER",
    ])
    .ok();
    let j = env.run(&["--json", "template", "list"]).ok().json();
    assert_eq!(j["items"][0]["name"], "svc");
    assert_eq!(j["items"][0]["entity_count"], 2);
    let j = env.run(&["--json", "template", "show", "svc"]).ok().json();
    assert_eq!(j["entities"][0]["key"], "context_file:CLAUDE.md");
    assert_eq!(j["entities"][0]["required"], true);
    assert_eq!(j["entities"][1]["required"], false);
    assert_eq!(j["entities"][1]["files"].as_array().map(Vec::len), Some(2));
    // A file reads the same in `template show` as in `artifact show`.
    let artifact = env
        .run(&["--json", "artifact", "show", "context_file:CLAUDE.md"])
        .ok()
        .json();
    assert_eq!(j["entities"][0]["files"], artifact["files"]);
    // Every variable the template accepts, the built-in ones too.
    let declared: Vec<_> = j["variables"]
        .as_array()
        .ok_or("variables")?
        .iter()
        .filter(|v| v["name"] == "TEAM" || v["name"] == "OWNER")
        .cloned()
        .collect();
    assert_eq!(
        declared,
        [
            serde_json::json!({"name": "OWNER", "required": true, "needed": true, "default": null, "used_in": [], "description": ""}),
            serde_json::json!({"name": "TEAM", "required": false, "needed": false, "default": "platform", "used_in": [], "description": ""}),
        ]
    );
    let run = env.run(&["template", "show", "svc"]).ok();
    let owner = run
        .stdout
        .lines()
        .find(|l| l.contains("OWNER"))
        .unwrap_or("");
    assert!(owner.contains("required"), "{}", run.stdout);
    Ok(())
}

#[test]
fn template_create_from_a_collection_takes_every_member() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?, "--collection", "all"])
        .ok();
    env.run(&["template", "create", "everything", "--collection", "all"])
        .ok();
    let j = env
        .run(&["--json", "template", "show", "everything"])
        .ok()
        .json();
    assert_eq!(j["entities"].as_array().map(Vec::len), Some(5));
    assert_eq!(j["collection"], "all");
    Ok(())
}

#[test]
fn render_substitutes_any_variable_from_a_file_or_stdin() -> TestResult {
    let env = Env::new();
    let file = env.write("in.txt", "Hi {{WHO}}, ${{ github.ref }}\r\nno newline");
    let run = env
        .run(&["render", file.to_str().ok_or("path")?, "--var", "WHO=you"])
        .ok();
    assert_eq!(run.raw_stdout, b"Hi you, ${{ github.ref }}\r\nno newline");
    let run = env
        .run_with_stdin(&["render", "-", "--var", "X=1"], Some(b"x={{X}}\n"))
        .ok();
    assert_eq!(run.stdout, "x=1\n");
    let run = env
        .run_with_stdin(&["render", "--var", "X=1"], Some(b"{{X}}{{Y}}\n"))
        .expect_code(1);
    assert!(run.stderr.contains("<stdin>:1:6"), "{}", run.stderr);
    Ok(())
}

#[test]
fn render_lenient_leaves_unknown_placeholders_and_lists_them() -> TestResult {
    let env = Env::new();
    let file = env.write("in.txt", "a {{A}}\nb {{B}}\n");
    let f = file.to_str().ok_or("path")?;
    let run = env.run(&["render", f, "--var", "A=1", "--lenient"]).ok();
    assert_eq!(run.stdout, "a 1\nb {{B}}\n");
    assert!(
        run.stderr.contains("in.txt:2:3: left {{B}}"),
        "{}",
        run.stderr
    );
    let j = env
        .run(&["--json", "render", f, "--var", "A=1", "--lenient"])
        .ok()
        .json();
    assert_eq!(j["content"], "a 1\nb {{B}}\n");
    assert_eq!(j["left"][0]["line"], 2);
    assert_eq!(j["left"][0]["column"], 3);
    assert_eq!(j["left"][0]["placeholder"], "{{B}}");
    Ok(())
}

/// Imports the small tree and makes a template `svc` of all of it.
fn catalogue_with_template(env: &Env) -> TestResult {
    env.small_tree();
    env.import_as_template_svc()
}

#[test]
fn deploy_writes_every_file_and_reports_json() -> TestResult {
    let env = Env::new();
    catalogue_with_template(&env)?;
    let j = env
        .run(&[
            "--json",
            "deploy",
            "svc",
            "app",
            "--var",
            "PROJECT_NAME=rocket",
            "--var",
            "AUTHOR=Ada",
            "--var",
            "DATE=2025-01-02",
        ])
        .ok()
        .json();
    assert_eq!(j["written"].as_array().map(Vec::len), Some(6));
    assert_eq!(j["skipped"], serde_json::json!([]));
    assert_eq!(j["overwritten"], serde_json::json!([]));
    assert!(j["project"].as_str().ok_or("project")?.ends_with("app"));
    assert!(j["bytes"].as_u64().ok_or("bytes")? > 0);
    assert!(j["dirs_created"].as_array().ok_or("dirs")?.len() >= 5);
    assert_eq!(j["left"], serde_json::json!([]));
    // The summary line is for people: sizes in B/KiB, counted nouns.
    let summary = j["summary"].as_str().ok_or("summary")?;
    assert!(
        summary.contains(": 6 written, 0 skipped, 0 overwritten, ")
            && summary.contains(&format!(" {} B in ", j["bytes"]))
            && summary.contains(" directories created, "),
        "{summary}"
    );
    assert_eq!(
        fs::read_to_string(env.path("app/CLAUDE.md"))?,
        "# rocket\nBy Ada on 2025-01-02.\n"
    );
    assert_eq!(
        fs::read_to_string(env.path("app/.claude/skills/review/SKILL.md"))?,
        "---\ndescription: Review code\n---\nReview rocket.\n"
    );
    // The deployment record, committed with the files; no deploy state left.
    assert!(env.path("app/.stencil/deployments/svc.json").is_file());
    assert!(!env.path("app/.stencil/deploy-journal").exists());
    assert!(!env.path("app/.stencil/deploy-staging").exists());
    Ok(())
}

#[test]
fn deploy_skips_existing_files_by_default_and_overwrites_on_request() -> TestResult {
    let env = Env::new();
    catalogue_with_template(&env)?;
    env.write("app/CLAUDE.md", "mine\n");
    let vars = ["--var", "PROJECT_NAME=x", "--var", "AUTHOR=me"];
    let j = env
        .run(&[&["--json", "deploy", "svc", "app"][..], &vars].concat())
        .ok()
        .json();
    assert_eq!(j["skipped"], serde_json::json!(["CLAUDE.md"]));
    assert_eq!(fs::read_to_string(env.path("app/CLAUDE.md"))?, "mine\n");
    let run = env
        .run(&[&["deploy", "svc", "app"][..], &vars].concat())
        .ok();
    assert!(run.stdout.contains("6 skipped"), "{}", run.stdout);
    let j = env
        .run(
            &[
                &["--json", "deploy", "svc", "app", "--overwrite"][..],
                &vars,
            ]
            .concat(),
        )
        .ok()
        .json();
    assert_eq!(j["overwritten"].as_array().map(Vec::len), Some(6));
    assert!(fs::read_to_string(env.path("app/CLAUDE.md"))?.starts_with("# x\n"));
    Ok(())
}

#[test]
fn deploy_only_profile_dry_run_and_durable() -> TestResult {
    let env = Env::new();
    catalogue_with_template(&env)?;
    let j = env
        .run(&[
            "--json",
            "deploy",
            "svc",
            "app",
            "--var",
            "PROJECT_NAME=x",
            "--only",
            "rule_file:api",
            "--profile",
            "codex",
            "--dry-run",
        ])
        .ok()
        .json();
    assert_eq!(j["dry_run"], true);
    assert_eq!(j["written"], serde_json::json!([".codex/rules/api.md"]));
    assert!(!env.path("app").exists(), "a dry run wrote something");
    env.run(&[
        "deploy",
        "svc",
        "app",
        "--var",
        "PROJECT_NAME=x",
        "--only",
        "rule_file:api",
        "--profile",
        "codex",
        "--durable",
    ])
    .ok();
    assert_eq!(files_under(&env.path("app")), [".codex/rules/api.md"]);
    Ok(())
}

#[test]
fn recover_reports_a_clean_tree() -> TestResult {
    let env = Env::new();
    fs::create_dir(env.path("proj"))?;
    let j = env
        .run(&[
            "--json",
            "recover",
            env.path("proj").to_str().ok_or("path")?,
        ])
        .ok()
        .json();
    assert_eq!(j["clean"], true);
    let run = env.run(&["recover", "proj"]).ok();
    assert!(run.stdout.contains("nothing to recover"), "{}", run.stdout);
    Ok(())
}

#[test]
fn recover_removes_a_stale_staging_area() -> TestResult {
    let env = Env::new();
    // What a deploy killed before writing its journal leaves behind: a
    // staging area (the layout of stencil-deploy's state directory).
    env.write("proj/.stencil/deploy-staging/0", "half");
    let run = env.run(&["--json", "recover", "proj"]).ok();
    let j = run.json();
    assert_eq!(j["clean"], false, "{}", run.stdout);
    assert_eq!(j["staging_removed"], true);
    assert!(!env.path("proj/.stencil/deploy-staging").exists());
    Ok(())
}

#[test]
fn demo_imports_groups_templates_and_deploys() -> TestResult {
    let env = Env::new();
    let run = env.run_bare(&["demo", "out"], &[]).ok();
    for needle in [
        "Imported 7 files",
        "collection `starter`: 6 artifacts",
        "template `starter`",
        "7 written",
        "written      CLAUDE.md",
    ] {
        assert!(
            run.stdout.contains(needle),
            "lacks {needle:?}:\n{}",
            run.stdout
        );
    }
    // A fresh temporary catalogue: nothing left in the working directory.
    assert!(!env.path(".stencil").exists());
    let claude = fs::read_to_string(env.path("out/CLAUDE.md"))?;
    assert!(claude.starts_with("# out\n"), "{claude}");
    assert!(claude.contains("Ada Lovelace"));
    for p in ["{{PROJECT_NAME}}", "{{AUTHOR}}", "{{DATE}}"] {
        assert!(!claude.contains(p), "{claude}");
    }
    assert!(claude.contains("${{ github.ref }}"));
    assert_eq!(files_under(&env.path("out")).len(), 7);

    // Again into the same directory: everything is skipped, nothing breaks.
    let j = env.run_bare(&["--json", "demo", "out"], &[]).ok().json();
    assert_eq!(j["deploy"]["skipped"].as_array().map(Vec::len), Some(7));
    Ok(())
}

#[test]
fn demo_uses_the_catalogue_given_with_the_flag() -> TestResult {
    let env = Env::new();
    env.run(&["demo", "out"]).ok();
    env.run(&["demo", "out2"]).ok();
    let j = env
        .run(&["--json", "artifact", "list", "--collection", "starter"])
        .ok()
        .json();
    assert_eq!(j["items"].as_array().map(Vec::len), Some(6));
    Ok(())
}
