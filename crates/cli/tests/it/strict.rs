//! A strict deploy names every unknown placeholder at once.

use crate::common::{Env, TestResult, files_under};

#[test]
fn a_strict_deploy_reports_every_unknown_placeholder_in_one_error() -> TestResult {
    let env = Env::new();
    env.write(
        "src/.claude/commands/ship.md",
        "Ship {{NS}} and {{message}}.\n{{NS}}\n",
    );
    env.write(
        "src/.claude/agents/tester.md",
        "Test {{PROJECT_NAME}} {{WHO}}.\n",
    );
    env.write("src/.claude/rules/ok.md", "# {{PROJECT_NAME}}\n");
    env.import_as_template_svc()?;
    let run = env
        .run(&["deploy", "svc", "app", "--var", "PROJECT_NAME=rocket"])
        .fails_with(&[
            "4 unknown placeholders:",
            ".claude/commands/ship.md: 1:6 `{{NS}}`, 1:17 `{{message}}`, 2:1 `{{NS}}`; .claude/agents/tester.md: 1:23 `{{WHO}}`",
            "--var NS=… --var message=… --var WHO=…",
            "`stencil artifact verbatim command:ship .claude/commands/ship.md`",
        ]);
    assert!(!run.stderr.contains("ok.md"), "{}", run.stderr);
    assert!(files_under(&env.path("app")).is_empty());

    let run = env
        .run(&[
            "--json",
            "deploy",
            "svc",
            "app",
            "--var",
            "PROJECT_NAME=rocket",
        ])
        .expect_code(1);
    let doc = run.json();
    assert_eq!(doc["error"]["kind"], "unknown_placeholder");
    assert_eq!(doc["error"]["total"], 4);
    assert_eq!(doc["error"]["placeholders"][2]["placeholder"], "NS");
    assert_eq!(doc["error"]["placeholders"][2]["line"], 2);
    assert_eq!(
        doc["error"]["placeholders"][3]["file"],
        ".claude/agents/tester.md"
    );
    Ok(())
}

#[test]
fn the_list_of_unknown_placeholders_is_bounded_and_counts_the_rest() -> TestResult {
    let env = Env::new();
    let body: String = (0..60).map(|i| format!("{{{{X{i}}}}}\n")).collect();
    env.write("src/.claude/commands/many.md", body);
    env.import_as_template_svc()?;
    let run = env
        .run(&["deploy", "svc", "app", "--var", "PROJECT_NAME=rocket"])
        .fails_with(&[
            "60 unknown placeholders:",
            "50:1 `{{X49}}`",
            "; and 10 more",
        ]);
    assert!(!run.stderr.contains("X50"), "{}", run.stderr);
    assert!(files_under(&env.path("app")).is_empty());
    Ok(())
}
