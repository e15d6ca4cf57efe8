//! What a re-import keeps and what it takes from the tree.

use crate::common::{Env, TestResult};

fn description(env: &Env) -> String {
    let run = env
        .run(&["artifact", "show", "command:ship", "--json"])
        .ok();
    run.json()["description"]
        .as_str()
        .unwrap_or("<not a string>")
        .to_string()
}

#[test]
fn a_reimport_takes_the_description_the_tree_has_now() -> TestResult {
    let env = Env::new();
    let ship = ".claude/commands/ship.md";
    env.write(
        &format!("src/{ship}"),
        "---\ndescription: Ship the current branch\n---\nShip.\n",
    );
    let src = env.path("src");
    let src = src.to_str().ok_or("path")?;
    env.run(&["import", src]).ok();
    assert_eq!(description(&env), "Ship the current branch");

    // Front matter without `description:`.
    env.write(&format!("src/{ship}"), "---\nname: ship\n---\nShip.\n");
    env.run(&["import", src]).ok();
    assert_eq!(description(&env), "");

    env.write(
        &format!("src/{ship}"),
        "---\ndescription: Ship it\n---\nShip.\n",
    );
    env.run(&["import", src]).ok();
    assert_eq!(description(&env), "Ship it");

    // No front matter at all.
    env.write(&format!("src/{ship}"), "Ship.\n");
    env.run(&["import", src]).ok();
    assert_eq!(description(&env), "");

    // Tags set in the catalogue still survive.
    env.run(&["tag", "add", "command:ship", "release"]).ok();
    env.write(&format!("src/{ship}"), "Ship now.\n");
    env.run(&["import", src]).ok();
    let show = env
        .run(&["artifact", "show", "command:ship", "--json"])
        .ok();
    assert_eq!(show.json()["tags"], serde_json::json!(["release"]));
    Ok(())
}
