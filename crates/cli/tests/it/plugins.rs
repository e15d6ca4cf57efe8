//! Issue 18 through the CLI: `stencil import` of a plugin, a marketplace
//! and malformed metadata; a template from a plugin's collection deployed
//! byte-identical; executable content flagged. Fixtures:
//! `testdata/plugins/`.

use std::fs;

use crate::common::{Env, TestResult};
use crate::support::{assert_deployed_like_the_plugin, plugin_fixture};
use serde_json::{Value, json};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[test]
fn a_plugin_imports_deploys_byte_identical_and_reimports_as_a_no_op() -> TestResult {
    let env = Env::new();
    let src = plugin_fixture("plugin", env.dir.path());
    let src_arg = src.to_str().expect("utf-8");
    let report = env.run(&["--json", "import", src_arg]).ok().json();
    assert_eq!(report["layout"], "plugin");
    let plugin = &report["plugins"][0];
    assert_eq!(plugin["name"], "backend-development");
    assert_eq!(plugin["version"], "1.2.0");
    assert_eq!(plugin["license"], "MIT");
    assert_eq!(plugin["collection"]["created"], true);
    assert_eq!(
        strings(&plugin["twins"]),
        [".codex-plugin/plugin.json", ".cursor-plugin/plugin.json"]
    );
    assert_eq!(
        strings(&report["executable_content"]),
        ["hook:backend-development", "mcp:backend-development"]
    );
    assert!(
        strings(&report["created"]).contains(&"agent:backend-development/backend-architect".into())
    );

    // The text report names what runs.
    let again = env.run(&["import", src_arg]).ok();
    assert!(again.stdout.contains("nothing changed"), "{}", again.stdout);
    assert!(
        again.stdout.contains("plugin `backend-development` 1.2.0"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("executable content (runs on your machine"),
        "{}",
        again.stdout
    );
    let show = env
        .run(&["artifact", "show", "hook:backend-development"])
        .ok();
    assert!(
        show.stdout.contains("executable content"),
        "{}",
        show.stdout
    );
    let show = env
        .run(&["--json", "artifact", "show", "mcp:backend-development"])
        .ok()
        .json();
    assert_eq!(show["executable_content"], true);
    let plain = env
        .run(&[
            "--json",
            "artifact",
            "show",
            "skill:backend-development/api-design",
        ])
        .ok()
        .json();
    assert_eq!(plain["executable_content"], false);

    env.run(&[
        "template",
        "create",
        "backend",
        "--collection",
        "backend-development",
    ])
    .ok();
    let project = env.path("project");
    env.run(&[
        "deploy",
        "backend",
        project.to_str().expect("utf-8"),
        "--profile",
        "claude",
        "--var",
        "PROJECT_NAME=x",
    ])
    .ok();
    assert_deployed_like_the_plugin(&src, &project);

    // No assistant but Claude Code runs these hooks: refused, nothing written.
    let codex = env.path("codex-project");
    env.run(&[
        "deploy",
        "backend",
        codex.to_str().expect("utf-8"),
        "--profile",
        "codex",
        "--var",
        "PROJECT_NAME=x",
    ])
    .fails_with(&[
        "hook:backend-development",
        "cannot be deployed with profile `.codex`",
    ]);
    assert!(!codex.exists());
    Ok(())
}

#[test]
fn a_marketplace_imports_its_local_plugins_and_lists_the_rest() -> TestResult {
    let env = Env::new();
    let src = plugin_fixture("marketplace", env.dir.path());
    let run = env
        .run(&["--json", "import", src.to_str().expect("utf-8")])
        .ok();
    let report = run.json();
    assert_eq!(report["layout"], "marketplace");
    let names: Vec<&str> = report["plugins"]
        .as_array()
        .expect("plugins")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["backend-development", "frontend-development", "listed-only"]
    );
    assert_eq!(report["skipped_plugins"][0]["name"], "remote-tools");
    assert_eq!(report["skipped_plugins"][0]["remote"], true);
    let created = strings(&report["created"]);
    for key in [
        "agent:backend-development/backend-architect",
        "agent:frontend-development/backend-architect",
    ] {
        assert!(created.contains(&key.to_string()), "{key} missing");
    }
    let human = env.run(&["import", src.to_str().expect("utf-8")]).ok();
    assert!(
        human
            .stdout
            .contains("skipped plugin `remote-tools`: remote source"),
        "{}",
        human.stdout
    );
    Ok(())
}

#[test]
fn malformed_metadata_fails_in_one_line_and_creates_no_catalogue() {
    for (fixture, needles) in [
        (
            "malformed/no-name",
            &["plugin.json", "field `name`", "nothing was imported"][..],
        ),
        (
            "malformed/invalid-json",
            &["plugin.json", "invalid JSON"][..],
        ),
        (
            "malformed/invalid-marketplace",
            &["marketplace.json", "invalid JSON"][..],
        ),
    ] {
        let env = Env::new();
        let src = plugin_fixture(fixture, env.dir.path());
        env.run(&["import", src.to_str().expect("utf-8")])
            .fails_with(needles);
        assert!(!env.catalog.exists(), "{fixture}: a catalogue was created");
    }
}

#[test]
fn the_layout_can_be_forced() {
    let env = Env::new();
    let src = plugin_fixture("plugin", env.dir.path());
    let src = src.to_str().expect("utf-8");
    env.run(&["import", src, "--as", "tree"])
        .fails_with(&["nothing to import"]);
    env.run(&["import", src, "--as", "marketplace"])
        .fails_with(&["marketplace.json"]);
    let run = env.run(&["import", src, "--as", "sideways"]).expect_code(2);
    assert!(run.stderr.contains("sideways"), "{}", run.stderr);
    let report = env
        .run(&["--json", "import", src, "--as", "plugin"])
        .ok()
        .json();
    assert_eq!(report["layout"], json!("plugin"));
}

#[test]
fn export_writes_a_plugin_that_imports_back_unchanged() -> TestResult {
    let env = Env::new();
    let src = plugin_fixture("plugin", env.dir.path());
    let src = src.to_str().expect("utf-8");
    env.run(&["import", src]).ok();
    env.run(&[
        "template",
        "create",
        "backend",
        "--collection",
        "backend-development",
    ])
    .ok();
    let out = env.path("exported");
    let out_arg = out.to_str().expect("utf-8");
    let export = env
        .run(&[
            "--json",
            "export",
            "--template",
            "backend",
            "--plugin",
            out_arg,
            "--version",
            "1.3.0",
        ])
        .ok()
        .json();
    assert_eq!(export["plugin"], "backend-development");
    assert_eq!(export["artifacts"], 7);
    let manifest: Value =
        serde_json::from_slice(&fs::read(out.join(".claude-plugin/plugin.json"))?)?;
    assert_eq!(manifest["version"], "1.3.0");

    let again = env.run(&["--json", "import", out_arg]).ok().json();
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(again["created"], json!([]));
    assert_eq!(again["updated"], json!([]));

    env.run(&["export", "--template", "backend", "--plugin", out_arg])
        .fails_with(&["exists"]);
    env.run(&[
        "export",
        "--template",
        "nope",
        "--plugin",
        &format!("{out_arg}-2"),
    ])
    .fails_with(&["template `nope`"]);
    Ok(())
}
