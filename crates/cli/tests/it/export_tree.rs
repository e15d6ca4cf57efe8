//! `stencil export`: artifacts back out as a tree, byte for byte with their
//! modes, so the exported tree imports as the same artifacts.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{Env, TestResult, files_under};

fn mode(path: &Path) -> u32 {
    fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
}

#[test]
fn a_template_exports_as_the_tree_it_was_imported_from() -> TestResult {
    let env = Env::new();
    let src = env.small_tree();
    let script = env.write(
        "src/.claude/skills/review/run.sh",
        "#!/bin/sh\necho {{X}}\n",
    );
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755))?;
    env.write(
        "src/.claude/skills/review/logo.png",
        [0x89, b'P', 0, 1, 2, 255],
    );
    env.import_as_template_svc()?;

    let run = env.run(&["export", "--template", "svc", "out"]).ok();
    assert!(
        run.stdout
            .starts_with("exported template `svc` into out: 8 files"),
        "{}",
        run.stdout
    );
    let out = env.path("out");
    assert_eq!(files_under(&out), files_under(&src));
    for rel in files_under(&src) {
        let (a, b) = (src.join(&rel), out.join(&rel));
        assert_eq!(fs::read(&a)?, fs::read(&b)?, "{rel}");
        let want = if rel.ends_with("run.sh") {
            0o755
        } else {
            0o644
        };
        assert_eq!(mode(&b), want, "{rel}");
    }
    // The exported tree imports as the same artifacts: nothing changes.
    let again = env
        .run(&["--json", "import", out.to_str().ok_or("path")?])
        .ok()
        .json();
    assert_eq!(again["created"], serde_json::json!([]), "{again}");
    assert_eq!(again["updated"], serde_json::json!([]), "{again}");

    // Existing files are not replaced unless asked.
    env.run(&["export", "--template", "svc", "out"])
        .fails_with(&["cannot export template `svc` into out", "CLAUDE.md"]);
    let run = env
        .run(&[
            "--json",
            "export",
            "--template",
            "svc",
            "out",
            "--overwrite",
        ])
        .ok();
    assert_eq!(run.json()["overwritten"].as_array().map(Vec::len), Some(8));
    Ok(())
}

#[test]
fn one_artifact_exports_alone_and_unknown_ones_are_errors() -> TestResult {
    let env = Env::new();
    env.small_tree();
    env.import_as_template_svc()?;
    let run = env.run(&["--json", "export", "skill:review", "one"]).ok();
    assert_eq!(run.json()["exported"]["artifact"], "skill:review");
    assert_eq!(
        files_under(&env.path("one")),
        [
            ".claude/skills/review/SKILL.md",
            ".claude/skills/review/notes.md"
        ]
    );
    assert_eq!(
        fs::read(env.path("one/.claude/skills/review/notes.md"))?,
        b"Notes for {{AUTHOR}}.\n"
    );
    env.run(&["export", "skill:nope", "two"])
        .fails_with(&["`skill:nope`", "does not exist"]);
    env.run(&["export", "--template", "nope", "two"])
        .fails_with(&["template `nope` does not exist"]);
    env.run(&["export", "two"])
        .fails_with(&["stencil export KEY DIR"]);
    assert!(!env.path("two").exists());
    Ok(())
}
