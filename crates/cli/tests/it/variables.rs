//! `template show` says which variables a deploy of this template needs a
//! value for, and the deploy's first hint for a missing one is `--var`.

use crate::common::{Env, TestResult};

#[test]
fn template_show_says_which_variables_need_a_value_for_this_template() -> TestResult {
    let env = Env::new();
    // `small_tree` uses PROJECT_NAME, AUTHOR and DATE, not
    // PROJECT_DESCRIPTION.
    env.small_tree();
    env.import_as_template_svc()?;
    env.run(&[
        "template",
        "create",
        "svc",
        "--collection",
        "all",
        "--var",
        "TEAM=platform",
        "--replace",
    ])
    .ok();
    let show = env.run(&["template", "show", "svc"]).ok();
    let line = |name: &str| {
        show.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{}", show.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        line("AUTHOR").starts_with("AUTHOR needed no default used in"),
        "{}",
        show.stdout
    );
    assert!(line("AUTHOR").contains("CLAUDE.md"), "{}", show.stdout);
    assert_eq!(
        line("PROJECT_DESCRIPTION"),
        "PROJECT_DESCRIPTION optional no default unused"
    );
    assert!(
        line("PROJECT_NAME").starts_with("PROJECT_NAME required"),
        "{}",
        show.stdout
    );
    assert!(
        line("DATE").starts_with("DATE optional default today used in"),
        "{}",
        show.stdout
    );
    assert_eq!(line("TEAM"), "TEAM optional default `platform` unused");

    let json = env.run(&["--json", "template", "show", "svc"]).ok().json();
    let vars = json["variables"].as_array().ok_or("variables")?;
    let var = |name: &str| {
        vars.iter()
            .find(|v| v["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {vars:?}"))
    };
    assert_eq!(var("AUTHOR")["needed"], true);
    assert_eq!(var("AUTHOR")["required"], false);
    assert_eq!(var("PROJECT_DESCRIPTION")["needed"], false);
    assert_eq!(var("TEAM")["default"], "platform");
    assert_eq!(var("PROJECT_NAME")["needed"], true);

    // The first way on for a missing value is to give it.
    let run = env
        .run(&["deploy", "svc", "app", "--var", "PROJECT_NAME=rocket"])
        .fails_with(&["`{{AUTHOR}}`"]);
    let hints = run.stderr.split("to proceed, ").nth(1).ok_or("no hint")?;
    assert!(
        hints.starts_with("give it a value with --var AUTHOR=…"),
        "{}",
        run.stderr
    );
    Ok(())
}
