//! Taking things out of the catalogue: `template delete`, `artifact
//! remove`, `collection delete|rename`, and `tag list`.

use crate::common::{Env, TestResult};

#[test]
fn template_delete_removes_the_template_and_keeps_its_artifacts() -> TestResult {
    let env = Env::new();
    env.small_tree();
    env.import_as_template_svc()?;
    let run = env.run(&["--json", "template", "delete", "svc"]).ok();
    assert_eq!(
        run.json(),
        serde_json::json!({"template": "svc", "deleted": true})
    );
    env.run(&["template", "show", "svc"])
        .fails_with(&["template `svc` does not exist"]);
    env.run(&["template", "delete", "svc"])
        .fails_with(&["template `svc` does not exist"]);
    env.run(&["artifact", "show", "command:ship"]).ok();
    Ok(())
}

#[test]
fn artifact_remove_is_refused_while_a_template_uses_it() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?, "--collection", "all"])
        .ok();
    // A snapshot lists its artifacts (a template following `all` would
    // not hold `command:ship` back: tests/it/following.rs).
    env.run(&[
        "template",
        "create",
        "svc",
        "--collection",
        "all",
        "--snapshot",
    ])
    .ok();
    env.run(&["artifact", "remove", "command:ship"])
        .fails_with(&[
            "artifact `command:ship` is used by template(s) svc",
            "stencil template delete svc",
        ]);
    let run = env
        .run(&["--json", "artifact", "remove", "command:ship"])
        .expect_code(1);
    assert_eq!(run.json()["error"]["kind"], "in_use");
    env.run(&["template", "delete", "svc"]).ok();
    let run = env.run(&["artifact", "remove", "command:ship"]).ok();
    assert!(
        run.stdout.contains("removed artifact `command:ship`"),
        "{}",
        run.stdout
    );
    env.run(&["artifact", "show", "command:ship"])
        .fails_with(&["`command:ship`", "does not exist"]);
    env.run(&["artifact", "remove", "command:ship"])
        .fails_with(&["`command:ship`", "does not exist"]);
    let list = env.run(&["--json", "collection", "list"]).ok().json();
    assert_eq!(list["items"][0]["artifact_count"], 4);
    Ok(())
}

#[test]
fn collections_are_renamed_and_deleted_by_name() -> TestResult {
    let env = Env::new();
    env.small_tree();
    env.import_as_template_svc()?;
    env.run(&["collection", "create", "other"]).ok();
    env.run(&["collection", "rename", "all", "other"])
        .fails_with(&["collection `other` already exists"]);
    env.run(&["collection", "rename", "nope", "x"])
        .fails_with(&["collection `nope` does not exist"]);
    let run = env
        .run(&["--json", "collection", "rename", "all", "everything"])
        .ok();
    assert_eq!(
        run.json(),
        serde_json::json!({"from": "all", "to": "everything", "renamed": true})
    );
    let show = env.run(&["template", "show", "svc"]).ok();
    assert!(
        show.stdout.contains("(follows collection everything)"),
        "{}",
        show.stdout
    );
    // `svc` follows it (tests/it/following.rs): deleted first.
    env.run(&["template", "delete", "svc"]).ok();
    let run = env.run(&["collection", "delete", "everything"]).ok();
    assert_eq!(
        run.stdout.trim(),
        "deleted collection `everything` (5 artifacts stay in the catalogue)"
    );
    env.run(&["collection", "delete", "everything"])
        .fails_with(&["collection `everything` does not exist"]);
    let run = env.run(&["--json", "collection", "delete", "other"]).ok();
    assert_eq!(run.json()["artifact_count"], 0);
    env.run(&["artifact", "show", "command:ship"]).ok();
    Ok(())
}

#[test]
fn tag_list_counts_the_artifacts_of_each_tag() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&["import", src.to_str().ok_or("path")?]).ok();
    let run = env.run(&["tag", "list"]).ok();
    assert_eq!(run.stdout.trim(), "no tags");
    env.run(&["tag", "add", "command:ship", "release", "ops"])
        .ok();
    env.run(&["tag", "add", "agent:tester", "release"]).ok();
    let run = env.run(&["tag", "list"]).ok();
    assert_eq!(run.stdout, "ops      1 artifact\nrelease  2 artifacts\n");
    let json = env.run(&["--json", "tag", "list"]).ok().json();
    assert_eq!(
        json,
        serde_json::json!({"items": [
            {"name": "ops", "artifact_count": 1},
            {"name": "release", "artifact_count": 2},
        ]})
    );
    Ok(())
}
