//! `template create --collection` follows the collection (issue 17 item 5):
//! members added or removed later are deployed or left out at the next
//! deploy; `--snapshot` keeps the members of the day. `template show|list`
//! say which one a template is; a followed collection cannot be deleted.

use crate::common::{Env, TestResult};

fn keys(env: &Env, template: &str) -> Vec<String> {
    env.run(&["--json", "template", "show", template])
        .ok()
        .json()["entities"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["key"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `small_tree` in collection `myapp`, templates `live` (following) and
/// `frozen` (a snapshot).
fn myapp() -> Result<Env, Box<dyn std::error::Error>> {
    let env = Env::new();
    let src = env.small_tree();
    env.run(&[
        "import",
        src.to_str().ok_or("path")?,
        "--collection",
        "myapp",
    ])
    .ok();
    let run = env
        .run(&["template", "create", "live", "--collection", "myapp"])
        .ok();
    assert!(
        run.stdout
            .starts_with("created template `live` (follows collection myapp): now 5 entities"),
        "{}",
        run.stdout
    );
    let run = env
        .run(&[
            "--json",
            "template",
            "create",
            "frozen",
            "--collection",
            "myapp",
            "--snapshot",
        ])
        .ok();
    let j = run.json();
    assert_eq!(
        (&j["collection"], &j["follows_collection"]),
        (&"myapp".into(), &false.into())
    );
    assert_eq!(j["entities"].as_array().map(Vec::len), Some(5));
    Ok(env)
}

#[test]
fn a_template_made_from_a_collection_deploys_its_members_as_they_are_then() -> TestResult {
    let env = myapp()?;
    let show = env.run(&["template", "show", "live"]).ok();
    assert!(
        show.stdout
            .starts_with("template `live` (follows collection myapp)\n"),
        "{}",
        show.stdout
    );
    assert!(
        show.stdout
            .contains("entities, in deploy order (the members of collection myapp now):"),
        "{}",
        show.stdout
    );
    let show = env.run(&["template", "show", "frozen"]).ok();
    assert!(
        show.stdout
            .starts_with("template `frozen` (snapshot of collection myapp)\n"),
        "{}",
        show.stdout
    );
    let j = env.run(&["--json", "template", "show", "live"]).ok().json();
    assert_eq!(j["follows_collection"], true);
    assert_eq!(j["collection"], "myapp");

    // A command imported into the collection later: in the following
    // template at the next show and deploy, not in the snapshot.
    env.write(
        "more/.claude/commands/release.md",
        "Release {{PROJECT_NAME}}.\n",
    );
    let more = env.path("more");
    env.run(&[
        "import",
        more.to_str().ok_or("path")?,
        "--collection",
        "myapp",
    ])
    .ok();
    assert_eq!(keys(&env, "live").len(), 6);
    assert!(keys(&env, "live").contains(&"command:release".to_string()));
    assert_eq!(keys(&env, "frozen").len(), 5);
    let list = env.run(&["template", "list"]).ok();
    assert!(
        list.stdout.lines().any(|l| l.starts_with("live")
            && l.contains("6 entities")
            && l.contains("(follows collection myapp)")),
        "{}",
        list.stdout
    );
    let vars = ["--var", "PROJECT_NAME=demo", "--var", "AUTHOR=ada"];
    let out = env.path("out");
    let mut deploy = vec!["deploy", "live", out.to_str().ok_or("path")?];
    deploy.extend(vars);
    env.run(&deploy).ok();
    assert_eq!(
        std::fs::read_to_string(out.join(".claude/commands/release.md"))?,
        "Release demo.\n"
    );

    // A member removed from the collection is left out.
    env.run(&["collection", "remove", "myapp", "command:ship"])
        .ok();
    let live = keys(&env, "live");
    assert_eq!(live.len(), 5);
    assert!(!live.contains(&"command:ship".to_string()));
    assert!(keys(&env, "frozen").contains(&"command:ship".to_string()));
    let out2 = env.path("out2");
    let mut deploy = vec!["deploy", "live", out2.to_str().ok_or("path")?];
    deploy.extend(vars);
    env.run(&deploy).ok();
    assert!(out2.join(".claude/commands/release.md").exists());
    assert!(!out2.join(".claude/commands/ship.md").exists());
    Ok(())
}

#[test]
fn a_followed_collection_is_not_deleted_and_a_member_artifact_can_be_removed() -> TestResult {
    let env = myapp()?;
    // The snapshot lists `agent:tester` itself: removing it is refused.
    env.run(&["artifact", "remove", "agent:tester"])
        .fails_with(&["used by template(s) frozen"]);
    env.run(&["template", "delete", "frozen"]).ok();
    // The following template names the collection only: the artifact goes,
    // with its membership, and leaves the template.
    env.run(&["artifact", "remove", "agent:tester"]).ok();
    assert_eq!(keys(&env, "live").len(), 4);

    let run = env.run(&["collection", "delete", "myapp"]).fails_with(&[
        "collection `myapp` is followed by template(s) live",
        "stencil template delete live",
        "--snapshot --replace",
    ]);
    assert!(run.stderr.starts_with("error: "));
    let j = env
        .run(&["--json", "collection", "delete", "myapp"])
        .expect_code(1)
        .json();
    assert_eq!(j["error"]["kind"], "in_use");
    assert_eq!(j["error"]["collection"], "myapp");
    assert_eq!(j["error"]["templates"], serde_json::json!(["live"]));

    // As the hint says: a snapshot of the members lets the collection go
    // and keeps the entities.
    env.run(&[
        "template",
        "create",
        "live",
        "--collection",
        "myapp",
        "--snapshot",
        "--replace",
    ])
    .ok();
    env.run(&["collection", "delete", "myapp"]).ok();
    let show = env.run(&["template", "show", "live"]).ok();
    assert!(
        show.stdout.starts_with("template `live` (a fixed list)\n"),
        "{}",
        show.stdout
    );
    assert_eq!(keys(&env, "live").len(), 4);
    Ok(())
}

#[test]
fn a_deployed_following_template_is_outdated_when_a_member_is_added_and_update_brings_it()
-> TestResult {
    let env = myapp()?;
    let out = env.path("app");
    let app = out.to_str().ok_or("path")?;
    let vars = ["--var", "PROJECT_NAME=demo", "--var", "AUTHOR=ada"];
    env.run(&[&["deploy", "live", app][..], &vars].concat())
        .ok();
    env.run(&["status", app, "--check"]).ok();
    env.write(
        "more/.claude/commands/release.md",
        "Release {{PROJECT_NAME}}.\n",
    );
    let more = env.path("more");
    env.run(&[
        "import",
        more.to_str().ok_or("path")?,
        "--collection",
        "myapp",
    ])
    .ok();
    let run = env.run(&["status", app, "--check"]).expect_code(3);
    assert!(run.stdout.contains("OUTDATED"), "{}", run.stdout);
    env.run(&["update", app]).ok();
    assert_eq!(
        std::fs::read_to_string(out.join(".claude/commands/release.md"))?,
        "Release demo.\n"
    );
    // A member removed from the collection: its unmodified file goes.
    env.run(&["collection", "remove", "myapp", "command:release"])
        .ok();
    env.run(&["update", app]).ok();
    assert!(!out.join(".claude/commands/release.md").exists());
    env.run(&["status", app, "--check"]).ok();
    Ok(())
}

#[test]
fn snapshot_needs_a_collection() {
    let env = Env::new();
    let run = env
        .run(&[
            "template",
            "create",
            "t",
            "--snapshot",
            "--artifact",
            "skill:x",
        ])
        .expect_code(2);
    assert!(run.stderr.contains("--collection"), "{}", run.stderr);
}
